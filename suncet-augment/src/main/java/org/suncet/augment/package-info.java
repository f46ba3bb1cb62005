/**
 * SimCLR augmentation pipelines (Chen et al. 2020, arXiv 2002.05709): deterministic image ops, seeded
 * random wrappers implementing DJL's {@code Transform}, multi-view containers and a batched on-device
 * path.
 */
package org.suncet.augment;
