package dev.enricher.app;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs the restore of the pending-events store from its changelog: start, progress every 10,000 records, end. */
final class RestoreProgress implements StateRestoreListener {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreProgress.class);
    private static final long EVERY = 10_000;

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
        LOG.info("restoring {} from {}: {} changelog records", store, partition, endOffset - startOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long restored) {
        if (batchEndOffset % EVERY < restored) {
            LOG.info("restoring {} from {}: at offset {}", store, partition, batchEndOffset);
        }
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        LOG.info("restored {} from {}: {} records", store, partition, totalRestored);
    }
}
