package io.longnet.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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

    /**
     * A logits matrix of a large chunk ([m, V] with m V > 2^31) read row by row: the rows past float 2^31 come from
     * their own place. The matrix lies over 8 GiB of malloc'd memory of which only the pages of the rows written
     * here are ever touched (four rows of 256 KiB), so the test costs about 1 MiB, not 8 GiB. Where the system
     * refuses so large a reservation (strict overcommit), the test is skipped, not failed.
     */
    @Test
    void copyRowReadsRowsPastFloat2Pow31() {
        int cols = 1 << 16;
        long rows = (1L << 31) / cols + 2; // [32770, 65536]: the last two rows lie past float 2^31
        long floats = rows * cols;
        Pointer memory = Pointer.malloc(floats * Float.BYTES);
        assumeFalse(memory.isNull(), "malloc of " + floats * Float.BYTES + " bytes refused");
        try {
            FloatPointer values = new FloatPointer(memory).capacity(floats);
            DataBuffer buffer = Nd4j.createBuffer(values, DataType.FLOAT, floats, FloatIndexer.create(values));
            INDArray matrix = Nd4j.create(buffer, new long[] {rows, cols}, new long[] {cols, 1}, 0, 'c');
            for (long r : new long[] {0, (1L << 31) / cols - 1, rows - 2, rows - 1}) {
                float[] written = new float[cols];
                for (int c = 0; c < cols; c++) {
                    written[c] = r * 7 + c; // distinct per row: a row read from the wrong place shows
                }
                values.position(r * cols).put(written, 0, cols);
                values.position(0);
                float[] read = new float[cols];
                Arrays2.copyRow(matrix, r, read);
                assertThat(read).as("row %d of %d", r, rows).containsExactly(written);
            }
        } finally {
            Pointer.free(memory);
        }
    }
}
