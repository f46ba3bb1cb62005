/**
 * DJL {@code Translator}s for suncet networks loaded through {@code Criteria}: an image to its
 * embedding ({@link org.suncet.models.translate.EmbeddingTranslator}) or to its class
 * ({@link org.suncet.models.translate.ClassificationTranslator}), both preparing pixels as the
 * training programs did ({@link org.suncet.models.translate.ImagePreprocessing}), and the
 * {@link org.suncet.models.translate.SuncetTranslatorFactory} that makes them from a model
 * folder's {@code serving.properties}.
 */
package org.suncet.models.translate;
