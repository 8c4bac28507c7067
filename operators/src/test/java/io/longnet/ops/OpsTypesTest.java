package io.longnet.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import io.longnet.text.Chunk;
import io.longnet.text.DocSpan;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The records on the wire between operators are Flink POJOs all the way down: no Kryo fallback. */
class OpsTypesTest {

    @Test
    void everyExchangedTypeIsAPojoAndRoundTrips() throws Exception {
        DocSpan span = new DocSpan("d1", 1, 2, 2, 1, 2, true, true);
        roundTrip(RawRecord.class, new RawRecord("t", 0, 5, null, new byte[] {1, 2}));
        roundTrip(Document.class, new Document("d1", "text", "s", null));
        roundTrip(DeadLetter.class, new DeadLetter("t", 1, 2, "NOT_JSON: x", null));
        roundTrip(StreamChunk.class, new StreamChunk("s", new Chunk(0, new int[] {100257, 7, 8}, List.of(span))));
        roundTrip(EncodedChunk.class, new EncodedChunk("s", 0, 3, 2, new float[6], new double[] {Double.NaN, 1, 2},
                List.of(span), List.of(new DocTopNext(1L, List.of(new TopToken(9, "a", 0.5)))), "fp"));
        roundTrip(EncodedChunk.class, new EncodedChunk("s", 0, 1, 1, new float[1], null, List.of(), List.of(), "fp"));
        roundTrip(EmbeddingOut.class, new EmbeddingOut("d1", "s", 1, 2, new float[] {1, 2}, "fp"));
        roundTrip(PredictionOut.class,
                new PredictionOut("d1", "s", 1, 2, 0.5, 1.6, 0.36, List.of(new TopToken(3, "b", 0.1))));
        roundTrip(PredictionOut.class, new PredictionOut("d1", "s", 1, 2, 0.5, 1.6, Double.NaN, List.of()));
    }

    private static <T> void roundTrip(Class<T> type, T value) throws Exception {
        TypeInformation<T> info = TypeInformation.of(type);
        assertThat(info).as(type.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
        assertThat(info.toString()).as(type.getSimpleName() + " nests no generic (Kryo) type").doesNotContain("GenericType");
        assertThat(info).isNotInstanceOf(GenericTypeInfo.class);
        TypeSerializer<T> serializer = info.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        T back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back).as(type.getSimpleName()).isEqualTo(value);
        assertThat(serializer.copy(value)).isEqualTo(value);
    }
}
