package org.suncet.train;

/**
 * One evaluation made by an evaluation listener ({@link SoftKnnTrainingListener}, {@link
 * LinearProbeTrainingListener}): the held-out top-1 accuracy after an epoch.
 *
 * @param epoch the epochs completed when it was measured (1-based: 1 after the first epoch)
 * @param accuracy the top-1 accuracy on the held-out images, in [0, 1]
 */
public record EpochAccuracy(int epoch, double accuracy) {}
