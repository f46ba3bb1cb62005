package org.suncet.loss;

import ai.djl.training.loss.Loss;

class NcaLossTest extends SupervisedLossContract {

    @Override
    Loss newLoss(float temperature) {
        return NcaLoss.builder().optTemperature(temperature).build();
    }

    @Override
    Loss newLossReading(int predictionIndex) {
        return NcaLoss.builder().optTemperature(0.1f).optPredictionIndex(predictionIndex).build();
    }

    @Override
    double reference(double[][] z, long[] y, double temperature) {
        return ReferenceLosses.nca(z, y, temperature);
    }

    @Override
    double[][] similarity(double[][] z, double temperature) {
        return ReferenceLosses.negativeSquaredDistance(z, temperature);
    }

    @Override
    boolean cosine() {
        return false;
    }
}
