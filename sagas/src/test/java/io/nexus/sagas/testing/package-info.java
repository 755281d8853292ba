/**
 * Test fixtures for users' sagas (published in the {@code nexus-sagas} test-jar): given / when / then with a clock the
 * test moves.
 */
@NullMarked
package io.nexus.sagas.testing;

import org.jspecify.annotations.NullMarked;
