package logs

import "github.com/hoptrace/hoptrace/ingest/trace"

// readTraceDump reads a RocketMQ trace dump (records of \x01-separated fields ending in \x02). A variable so
// tests can swap it.
var readTraceDump = trace.ReadDump
