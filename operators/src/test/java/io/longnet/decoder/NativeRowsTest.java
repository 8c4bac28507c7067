package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.attention.Arrays2;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class NativeRowsTest {

    @Test
    void rowsOfAViewPastTheFirstRowAreTheViewsRows() {
        float[] data = new float[5 * 3]; // [5, 3]
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        INDArray rows2to4 = Arrays2.matrix(data, 5, 3).get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());
        NativeRows rows = new NativeRows(rows2to4);
        float[] row = new float[3];
        rows.read(1, row);
        assertThat(row).containsExactly(9, 10, 11);
        rows.write(0, new float[] {-1, -2, -3});
        assertThat(Arrays2.rowMajor(rows2to4)).containsExactly(-1, -2, -3, 9, 10, 11, 12, 13, 14);
    }
}
