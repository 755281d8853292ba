/** Small runnable programs that show Nexus at work; the README's snippets are copied from here. */
@NullMarked
package io.nexus.examples;

import org.jspecify.annotations.NullMarked;
