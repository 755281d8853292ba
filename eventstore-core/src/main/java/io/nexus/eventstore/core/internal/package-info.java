/** Not API; may change in any release. Shared helpers of the core module. */
@NullMarked
package io.nexus.eventstore.core.internal;

import org.jspecify.annotations.NullMarked;
