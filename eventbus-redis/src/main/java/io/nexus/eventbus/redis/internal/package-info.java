/**
 * Not API; may change in any release. The JSON envelope codec and the default payload serializer of the Redis relay.
 */
@NullMarked
package io.nexus.eventbus.redis.internal;

import org.jspecify.annotations.NullMarked;
