package org.suncet.loss;

import ai.djl.training.loss.Loss;

class SuNCEtLossTest extends SupervisedLossContract {

    @Override
    Loss newLoss(float temperature) {
        return SuNCEtLoss.builder().optTemperature(temperature).build();
    }

    @Override
    Loss newLossReading(int predictionIndex) {
        return SuNCEtLoss.builder().optTemperature(0.1f).optPredictionIndex(predictionIndex).build();
    }

    @Override
    double reference(double[][] z, long[] y, double temperature) {
        return ReferenceLosses.suncet(z, y, temperature);
    }

    @Override
    double[][] similarity(double[][] z, double temperature) {
        return ReferenceLosses.cosine(z, temperature);
    }

    @Override
    boolean cosine() {
        return true;
    }
}
