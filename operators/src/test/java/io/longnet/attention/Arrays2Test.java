package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class Arrays2Test {

    @Test
    void rowMajorCopiesAViewThatStartsPastTheFirstRow() {
        float[] data = new float[6 * 4]; // [6, 4]
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        INDArray matrix = Arrays2.matrix(data, 6, 4);
        INDArray rows2to5 = matrix.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()); // [3, 4]
        assertThat(Arrays2.rowMajor(rows2to5)).containsExactly(8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
        INDArray prefix = matrix.get(NDArrayIndex.interval(0, 5), NDArrayIndex.all()); // [5, 4], as AttentionState
        INDArray ofThePrefix = prefix.get(NDArrayIndex.interval(3, 5), NDArrayIndex.all()); // [2, 4]
        assertThat(Arrays2.rowMajor(ofThePrefix)).containsExactly(12, 13, 14, 15, 16, 17, 18, 19);
    }

    @Test
    void copyRowReadsTheViewsOwnRowsAndRefusesAWrongWidth() {
        float[] data = new float[6 * 4]; // [6, 4]
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        INDArray rows2to5 = Arrays2.matrix(data, 6, 4).get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()); // [3, 4]
        float[] row = new float[4];
        Arrays2.copyRow(rows2to5, 2, row);
        assertThat(row).containsExactly(16, 17, 18, 19);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Arrays2.copyRow(rows2to5, 3, row))
                .hasMessageContaining("row 3");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Arrays2.copyRow(rows2to5, 0, new float[3]))
                .hasMessageContaining("3 floats");
    }
}
