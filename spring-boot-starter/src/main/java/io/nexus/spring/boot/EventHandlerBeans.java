package io.nexus.spring.boot;

import io.nexus.eventbus.EventHandler;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ClassUtils;

/**
 * Collects the beans that have {@link EventHandler} methods (in their class or a superclass), for {@link
 * NexusWorkers} to register on the bus at start. A post-processor that only looks, so it needs no other bean and
 * sees every bean, however early it is made.
 */
final class EventHandlerBeans implements BeanPostProcessor {
    private final List<Object> beans = new ArrayList<>();

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (hasHandlers(ClassUtils.getUserClass(bean))) {
            synchronized (beans) {
                beans.add(bean);
            }
        }
        return bean;
    }

    List<Object> beans() {
        synchronized (beans) {
            return List.copyOf(beans);
        }
    }

    private static boolean hasHandlers(Class<?> type) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method method : c.getDeclaredMethods()) {
                if (method.isAnnotationPresent(EventHandler.class)) {
                    return true;
                }
            }
        }
        return false;
    }
}
