package io.longnet.ops;

import io.longnet.kafka.DeadLetter;
import io.longnet.kafka.DocumentParser;
import io.longnet.kafka.ParseOutcome;
import io.longnet.kafka.WireError;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raw Kafka records to documents, each with the partition it came from. Every decision is {@link DocumentParser}'s; invalid input becomes a
 * {@link DeadLetter} (reason, source coordinates, original bytes) on {@link #DEAD_LETTERS}, never an
 * exception, so bad input neither stops the job nor disappears: in = documentsParsed + deadLetters. The dead
 * letters are also counted by reason (group {@link #REASON_GROUP}, every reason registered from the start at 0).
 */
public final class ParseDocuments extends ProcessFunction<RawRecord, SourcedDocument> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ParseDocuments.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") { };

    /** The metric group of the dead letters by reason: {@code reason=not_json}, ... (one per {@link WireError}). */
    public static final String REASON_GROUP = "reason";

    private final int maxDocumentBytes;

    private transient DocumentParser parser;
    private transient Counter documentsParsed;
    private transient Counter deadLetters;
    private transient Map<WireError, Counter> deadLettersByReason;

    /** @param maxDocumentBytes the largest record value accepted (setting max-document-bytes) */
    public ParseDocuments(int maxDocumentBytes) {
        // Validated here, when the job is built, rather than on the cluster.
        this.maxDocumentBytes = new DocumentParser(maxDocumentBytes).maxDocumentBytes();
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new DocumentParser(maxDocumentBytes);
        documentsParsed = getRuntimeContext().getMetricGroup().counter("documentsParsed");
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
        deadLettersByReason = new EnumMap<>(WireError.class);
        for (WireError reason : WireError.values()) {
            deadLettersByReason.put(reason, getRuntimeContext().getMetricGroup()
                    .addGroup(REASON_GROUP, reasonLabel(reason)).counter("deadLetters"));
        }
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<SourcedDocument> out) {
        ParseOutcome outcome = parse(raw);
        if (outcome instanceof ParseOutcome.Valid valid) {
            documentsParsed.inc();
            out.collect(new SourcedDocument(valid.document(), raw.partition(), raw.timestamp()));
        } else {
            ParseOutcome.Rejected rejected = (ParseOutcome.Rejected) outcome;
            deadLetters.inc();
            deadLettersByReason.get(rejected.error()).inc();
            ctx.output(DEAD_LETTERS, new DeadLetter(raw.topic(), raw.partition(), raw.offset(),
                    rejected.error() + ": " + rejected.reason(), raw.value()));
        }
    }

    /** The reason as a metric label: {@link WireError#NOT_JSON} is {@code not_json}. */
    public static String reasonLabel(WireError reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    /** The parser never throws on bad input; should a bug make it throw, the record is still dead-lettered. */
    private ParseOutcome parse(RawRecord raw) {
        try {
            return parser.parse(raw.value());
        } catch (RuntimeException e) {
            LOG.warn("Parser failed on {}-{}@{}; dead-lettering the record", raw.topic(), raw.partition(),
                    raw.offset(), e);
            return ParseOutcome.rejected(WireError.INVALID_VALUE,
                    "parser failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
