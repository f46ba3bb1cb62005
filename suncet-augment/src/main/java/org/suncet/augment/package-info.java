/**
 * SimCLR augmentation pipelines (Chen et al. 2020, arXiv 2002.05709): deterministic image ops, seeded
 * random wrappers implementing DJL's {@code Transform}, multi-view containers and a batched on-device
 * path, and {@link org.suncet.augment.MultiViewDataset}, a DJL {@code Dataset} of view-major
 * contrastive batches (with an optional labeled support) for {@code EasyTrain.fit}.
 */
package org.suncet.augment;
