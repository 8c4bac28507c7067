package io.longnet.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoModelTest {

    @Test
    void demoModelIsTheSmallOneWithTheFullVocabulary() {
        ModelConfig c = DemoModel.config();

        assertThat(List.of(c.embedDim(), c.heads(), c.layers(), c.ffnDim())).containsExactly(64, 4, 2, 128);
        assertThat(c.schedule().segmentLengths()).containsExactly(64, 128, 256);
        assertThat(c.schedule().dilatedRatios()).containsExactly(1, 2, 4);
        CorpusTokenizer.cl100k().checkModelVocabulary(c.vocabSize());
    }

    @Test
    void dockerModelConfigParsesAndFitsTheTokenizer() {
        // docker/README.md tells users to `longnet init --config docker/model-config.json`.
        ModelConfig c = ModelConfigJson.read(Path.of("..", "docker", "model-config.json"));

        CorpusTokenizer.cl100k().checkModelVocabulary(c.vocabSize());
        assertThat(c.embedDim()).isEqualTo(256);
    }
}
