/**
 * {@code suncet study}: the end-to-end test of SuNCEt's compute claim on Fashion-MNIST ({@link
 * org.suncet.examples.study.Study}), its settings ({@link org.suncet.examples.study.StudyConfig}),
 * results ({@link org.suncet.examples.study.StudyRecord}) and report ({@link
 * org.suncet.examples.study.StudyReport}).
 */
package org.suncet.examples.study;
