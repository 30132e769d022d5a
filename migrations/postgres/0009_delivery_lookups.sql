-- 0009: the delivery log read by what it is about, not only by time.
--
-- `show`, the API and the call page read the deliveries of an engagement's log positions (to
-- say where a recovered event came from), and `quarantine show` the delivery of a refused body.
-- Without the first, each was a parallel scan of the delivery log (about 220 ms at a million
-- rows). Positions grow with the log, so the index is appended at its right edge; the second
-- holds only the rare quarantined deliveries.
CREATE INDEX deliveries_position ON deliveries (position);
CREATE INDEX deliveries_quarantined ON deliveries (body_sha256, received_at)
    WHERE outcome = 'quarantined';
