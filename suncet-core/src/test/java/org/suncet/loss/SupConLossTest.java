package org.suncet.loss;

import ai.djl.training.loss.Loss;

class SupConLossTest extends SupervisedLossContract {

    @Override
    Loss newLoss(float temperature) {
        return SupConLoss.builder().optTemperature(temperature).build();
    }

    @Override
    Loss newLossReading(int predictionIndex) {
        return SupConLoss.builder().optTemperature(0.1f).optPredictionIndex(predictionIndex).build();
    }

    @Override
    double reference(double[][] z, long[] y, double temperature) {
        return ReferenceLosses.supCon(z, y, temperature);
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
