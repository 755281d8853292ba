package io.nexus.eventstore.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the component of an event record (or field of an event class) that holds the id of the person its {@link
 * PersonalData} belongs to; its {@code toString()} names the subject whose key encrypts them. An event class with
 * personal data must have exactly one. Prefer an opaque id (a UUID) over an e-mail address: the id is stored in the
 * clear unless it is marked {@link PersonalData} as well.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD})
public @interface DataSubject {}
