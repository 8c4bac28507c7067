package io.longnet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.attention.AttentionFlops;
import io.longnet.model.DilationSchedule;
import io.longnet.model.HeadOffsetRule;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DenseComparisonTest {

    private static final DilationSchedule SMALL = DilationSchedule.of(List.of(16, 32), List.of(1, 2),
            HeadOffsetRule.GROUPED);

    @Test
    void runsOverTheLimitAreEstimatedFromTheLastMeasuredLengthByUsefulFlops() {
        DenseComparison.Result r = new DenseComparison(SMALL, 2, 4, 0.0).run(List.of(64, 128, 256));

        assertThat(r.dilated()).extracting(DenseComparison.Point::estimated).containsExactly(false, true, true);
        assertThat(r.dense()).extracting(DenseComparison.Point::estimated).containsExactly(false, true, true);
        double dilated64 = r.dilated().get(0).seconds();
        double dense64 = r.dense().get(0).seconds();
        double dilatedFlops64 = AttentionFlops.count(SMALL, 2, 4, 0, 64);
        assertThat(r.dilated().get(2).seconds()).isCloseTo(
                dilated64 * AttentionFlops.count(SMALL, 2, 4, 0, 256) / dilatedFlops64, within(1e-12));
        // dense: every position sees every earlier one, (N (N + 1) / 2) pairs, so 4x the length is ~16x the time
        assertThat(r.dense().get(2).seconds() / dense64).isCloseTo(256.0 * 257 / (64.0 * 65), within(1e-9));
    }

    @Test
    void everyRunUnderTheLimitIsMeasured() {
        DenseComparison.Result r = new DenseComparison(SMALL, 2, 4, 3600).run(List.of(32, 64));

        assertThat(r.dilated()).extracting(DenseComparison.Point::estimated).containsExactly(false, false);
        assertThat(r.dense()).extracting(DenseComparison.Point::n).containsExactly(32, 64);
        assertThat(r.dense()).allSatisfy(p -> assertThat(p.seconds()).isPositive());
    }

    @Test
    void thePlotIsAPngOfTheRequestedSize(@TempDir Path dir) throws Exception {
        DenseComparison.Result r = new DenseComparison.Result(
                List.of(new DenseComparison.Point(8192, 2, false), new DenseComparison.Point(32768, 9, true)),
                List.of(new DenseComparison.Point(8192, 6, false), new DenseComparison.Point(32768, 96, true)));
        Path png = dir.resolve("fig5.png");

        RuntimePlot.write(r, "test", png);

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(900);
        assertThat(image.getHeight()).isEqualTo(600);
        assertThat(Files.readAllBytes(png)).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }
}
