-- The DuckDB side of scripts/bench: every order's verdict in one SQL statement over the same files hoptrace reads.
-- scripts/bench.d/duckdb_run.py replaces @LOGS@ (the day's logs directory) and @OUT@ (the CSV to write).
--
-- This is what a competent analyst would write by hand, not a port of hoptrace: the verdict is SIMPLIFIED, from the
-- presence of each hop only (DESIGN.md rules 1-8 without time, grace window or broker state):
--   orphan           consumer or grant evidence but no payment
--   unknown          no payment and no consumer or grant evidence (a send of the previous day's order)
--   duplicate_grant  two or more distinct red-packet IDs granted
--   ok               one grant
--   not_sent         paid, no send result and no send failure
--   send_failed      send failures only: no SEND_OK line, no Pub trace, no delivery
--   lost_in_broker   sent (SEND_OK line or Pub trace) but never delivered
--   dead_lettered    delivered, no grant, moved to the DLQ
--   grant_failed     delivered, grant failures only
--   lost_in_consumer delivered, no grant and no grant failure
-- It has no in_flight (needs the window's end and --grace) and reads no stack traces, so it disagrees with truth.csv
-- on the in-flight orders and on anything that needs time or broker state.
--
-- The join is the same identity join hoptrace does: order ID, message key and msgId (case-insensitive), so a
-- consumer's "consume result" line, which carries only a msgId, lands in its order.
COPY (
WITH
order_lines AS (          -- logback text, .log and .log.gz (DuckDB's own gzip reader), one VARCHAR per line
  SELECT line
  FROM read_csv(['@LOGS@/order-service/*.log', '@LOGS@/order-service/*.log.gz'],
                columns = {'line': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',
                auto_detect = false, strict_mode = false, max_line_size = 16777216)
  WHERE contains(line, ' - payment callback ok, order paid ') OR contains(line, ' - send pay-success ')
),
order_ev AS (
  SELECT CASE WHEN contains(line, ' - payment callback ok, order paid ') THEN 'paid'
              WHEN contains(line, ' - send pay-success ok ') THEN 'sent'
              ELSE 'send_failed' END                               AS kind,
         split_part(split_part(line, ' orderId=', 2), ' ', 1)       AS order_id,
         lower(split_part(split_part(line, ' msgId=', 2), ' ', 1)) AS msg_id,
         NULL::VARCHAR                                             AS rp_id
  FROM order_lines
),
rp AS (                   -- JSON lines; the last line of each file is truncated on purpose: ignore_errors
  SELECT message, orderId, redPacketId, msgId, mq
  FROM read_ndjson('@LOGS@/redpacket-service/*.json.log',
                   columns = {'message': 'VARCHAR', 'orderId': 'VARCHAR', 'redPacketId': 'VARCHAR',
                              'msgId': 'VARCHAR', 'mq': 'JSON'},
                   ignore_errors = true, maximum_object_size = 16777216)
),
rp_ev AS (
  SELECT CASE message WHEN 'red packet granted' THEN 'granted'
                      WHEN 'grant red packet failed' THEN 'grant_failed'
                      WHEN 'received pay-success message' THEN 'delivered'
                      WHEN 'consume result' THEN 'delivered'
                      ELSE 'dead_letter' END                        AS kind,
         coalesce(orderId, json_extract_string(mq, '$.keys'))       AS order_id,
         lower(coalesce(msgId, json_extract_string(mq, '$.msgId'))) AS msg_id,
         redPacketId                                                AS rp_id
  FROM rp
  WHERE message IN ('red packet granted', 'grant red packet failed', 'received pay-success message',
                    'consume result', 'message exceeded max reconsume times, moved to DLQ')
),
trace_rec AS (            -- RocketMQ trace bodies: records end with \x02, fields split by \x01
  SELECT string_split(rec, chr(1)) AS f
  FROM (SELECT unnest(string_split(line, chr(2))) AS rec
        FROM read_csv('@LOGS@/traces/*.dump', columns = {'line': 'VARCHAR'}, header = false, delim = chr(3),
                      quote = '', escape = '', auto_detect = false, strict_mode = false,
                      max_line_size = 16777216))
  WHERE starts_with(rec, 'Pub' || chr(1)) OR starts_with(rec, 'SubBefore' || chr(1))
),
trace_ev AS (             -- Pub and SubBefore both have the msgId in field 6 and the keys in field 8
  SELECT CASE f[1] WHEN 'Pub' THEN 'sent' ELSE 'delivered' END AS kind,
         nullif(f[8], 'null')                                  AS order_id,
         lower(f[6])                                           AS msg_id,
         NULL::VARCHAR                                         AS rp_id
  FROM trace_rec
),
ev AS (
  SELECT * FROM order_ev UNION ALL SELECT * FROM rp_ev UNION ALL SELECT * FROM trace_ev
),
msg_order AS (            -- msgId -> order, from every event that carries both
  SELECT msg_id, any_value(order_id) AS order_id
  FROM ev WHERE msg_id <> '' AND msg_id IS NOT NULL AND order_id <> '' AND order_id IS NOT NULL
  GROUP BY msg_id
),
joined AS (
  SELECT coalesce(nullif(ev.order_id, ''), m.order_id) AS order_id, kind, rp_id
  FROM ev LEFT JOIN msg_order m ON ev.msg_id = m.msg_id
),
per_order AS (
  SELECT order_id,
         bool_or(kind = 'paid')                               AS paid,
         bool_or(kind = 'sent')                               AS sent,
         bool_or(kind = 'send_failed')                        AS send_failed,
         bool_or(kind = 'delivered')                          AS delivered,
         bool_or(kind = 'dead_letter')                        AS dead_letter,
         bool_or(kind = 'grant_failed')                       AS grant_failed,
         -- 0, 1 or 2+ distinct red-packet IDs (min <> max), cheaper than count(DISTINCT ...)
         CASE WHEN count(rp_id) FILTER (WHERE kind = 'granted') = 0 THEN 0
              WHEN min(rp_id) FILTER (WHERE kind = 'granted') = max(rp_id) FILTER (WHERE kind = 'granted') THEN 1
              ELSE 2 END                                                    AS grants
  FROM joined
  WHERE order_id IS NOT NULL AND order_id <> ''
  GROUP BY order_id
)
SELECT order_id,
       CASE WHEN NOT paid AND (delivered OR grants > 0 OR grant_failed OR dead_letter) THEN 'orphan'
            WHEN NOT paid THEN 'unknown'
            WHEN grants >= 2 THEN 'duplicate_grant'
            WHEN grants = 1 THEN 'ok'
            WHEN NOT sent AND NOT send_failed AND NOT delivered THEN 'not_sent'
            WHEN NOT sent AND NOT delivered THEN 'send_failed'
            WHEN NOT delivered THEN 'lost_in_broker'
            WHEN dead_letter THEN 'dead_lettered'
            WHEN grant_failed THEN 'grant_failed'
            ELSE 'lost_in_consumer'
       END AS verdict
FROM per_order
) TO '@OUT@' (FORMAT csv, HEADER true);
