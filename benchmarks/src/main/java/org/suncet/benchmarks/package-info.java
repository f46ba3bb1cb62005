/** JMH benchmarks of suncet's loss kernels, augmentation and training steps. */
package org.suncet.benchmarks;
