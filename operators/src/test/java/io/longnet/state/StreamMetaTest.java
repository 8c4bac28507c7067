package io.longnet.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class StreamMetaTest {

    @Test
    void roundTripsEveryField() {
        StreamMeta meta = new StreamMeta("sha256:abc", 7, 1L << 40, new float[] {1.5f, -2f, Float.MIN_VALUE});
        StreamMeta back = StreamMeta.fromBytes(meta.toBytes());
        assertThat(back.modelFingerprint()).isEqualTo("sha256:abc");
        assertThat(back.contextStart()).isEqualTo(7);
        assertThat(back.position()).isEqualTo(1L << 40);
        assertThat(back.lastFeatures()).containsExactly(1.5f, -2f, Float.MIN_VALUE);
        assertThat(StreamMeta.fromBytes(new StreamMeta("m", 0, 0, null).toBytes()).lastFeatures()).isNull();
    }

    @Test
    void anotherFormatAVersionAndTruncationAreNamed() {
        byte[] bytes = new StreamMeta("m", 0, 3, new float[] {1f}).toBytes();
        byte[] oldFormat = bytes.clone();
        oldFormat[3] = 0x54; // "LNST", format 1
        assertThatThrownBy(() -> StreamMeta.fromBytes(oldFormat)).hasMessageContaining("LNS2 marker");
        byte[] otherVersion = bytes.clone();
        otherVersion[7] = 3;
        assertThatThrownBy(() -> StreamMeta.fromBytes(otherVersion)).hasMessageContaining("version 3");
        assertThatThrownBy(() -> StreamMeta.fromBytes(Arrays.copyOf(bytes, bytes.length - 2)))
                .hasMessageContaining("truncated");
    }

    @Test
    void aLastRowExactlyAfterTheContextStart() {
        assertThatThrownBy(() -> new StreamMeta("m", 5, 5, new float[1])).hasMessageContaining("context start");
        assertThatThrownBy(() -> new StreamMeta("m", 5, 9, null)).hasMessageContaining("context start");
        assertThatThrownBy(() -> new StreamMeta("m", 10, 9, new float[1])).hasMessageContaining("context");
    }
}
