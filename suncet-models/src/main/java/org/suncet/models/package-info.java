/**
 * ResNet encoders (torchvision layout, SimCLR/SimCLRv2 width multipliers and selective kernels) and
 * projection heads, built as DJL {@code Block}s.
 */
package org.suncet.models;
