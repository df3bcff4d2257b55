-- The W3C traceparent of the span that emitted the event (NULL when tracing is off): the outbox relay
-- sends it as a message header, so the trace continues in the consumers after the commit.
ALTER TABLE outbox ADD COLUMN trace_context text;
