/**
 * The {@code suncet} command-line program ({@link org.suncet.examples.Suncet}) and its
 * subcommands: runnable examples of the library, run through {@code bin/suncet}.
 */
package org.suncet.examples;
