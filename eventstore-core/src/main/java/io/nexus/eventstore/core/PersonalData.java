package io.nexus.eventstore.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a component of an event record (or a field of an event class) as personal data of the event's {@link
 * DataSubject}. The PostgreSQL store encrypts such values with a key of their own subject before they are stored, and
 * erasing the subject ({@code PostgresEventStore.eraseSubject}) deletes that key: from then on every read returns the
 * event with these values as null and {@link RecordedEvent#isRedacted()} true, while the rest of the event and the
 * stream stay readable. Only top-level components of the payload are protected; the payload's JSON property must have
 * the component's name.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD})
public @interface PersonalData {}
