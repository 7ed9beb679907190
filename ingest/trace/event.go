package trace

import "github.com/hoptrace/hoptrace/ingest"

// Result words of Pub events (Event.Result).
const (
	// ResultSendOK is the Result of a Pub whose success field is true: the send status was SEND_OK.
	ResultSendOK = "SEND_OK"
	// ResultSendNotOK is the Result of a Pub whose success field is false. Both clients write a Pub trace only
	// when the broker answered the send with a status, and set success = (status == SEND_OK)
	// (Java SendMessageTraceHookImpl.sendMessageAfter, Go producer/interceptor.go): a false success means
	// FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE, so the master has stored the message but did
	// not confirm the flush or the replication. A send that failed with an error writes no Pub at all.
	ResultSendNotOK = "FLUSH_DISK_TIMEOUT|FLUSH_SLAVE_TIMEOUT|SLAVE_NOT_AVAILABLE"
)

// Event maps the record to an ingest.Event (Origin trace, Rule "trace:"+Type, Ref as given). Identifiers are
// interned in in (which may be nil: then they are used as they are). It returns false for a record that proves
// nothing about the message: a Recall that failed (the message stays deliverable) or an unknown type.
//
//   - Pub: HopStored, ok. success=true has Result SEND_OK; success=false has Result ResultSendNotOK (still stored:
//     see ResultSendNotOK). Group is the producer group, Broker the storeHost, Host the clientHost (Go only).
//   - SubBefore: HopDelivered, ok, Retry = retryTimes, Group the consumer group, Host the clientHost (Go only).
//   - SubAfter: HopConsumed, ok when success else failed; Result the contextCode name (SUCCESS, TIME_OUT,
//     EXCEPTION, RETURNNULL, FAILED). A 7-field SubAfter has no time and group unless a Pairer filled them in.
//   - EndTransaction: HopSent, Result the state: COMMIT_MESSAGE ok, ROLLBACK_MESSAGE failed, UNKNOW timeout.
//   - Recall (successful): HopSent, failed, Error "message recalled".
//
// The Keys slice of the event may be shared with other events of the same message: treat it as read-only.
func (r Record) Event(in *ingest.Interner, ref ingest.Ref) (ingest.Event, bool) {
	return (&r).event(in, ref, false)
}

// event is Event. interned says r was decoded with in (see decoder): its strings are interned already, so only
// an id that normalizeID changed needs interning, and r.Keys can be shared.
func (r *Record) event(in *ingest.Interner, ref ingest.Ref, interned bool) (ingest.Event, bool) {
	str := func(s string) string {
		if interned {
			return s
		}
		return intern(in, s)
	}
	id := normalizeID // identifiers are unique per message: never interned
	ev := ingest.NewEvent()
	ev.Origin = ingest.OriginTrace
	ev.Time = r.TimeMs * 1e6
	ev.MsgID = id(r.MsgID)
	ev.Group = str(r.Group)
	if interned {
		ev.Keys = r.Keys
	} else {
		ev.Keys = internKeys(in, r.Keys)
	}
	ev.Ref = ref
	switch r.Type {
	case TypePub:
		ev.Hop, ev.Status, ev.Rule = ingest.HopStored, ingest.StatusOK, "trace:Pub"
		ev.Result = ResultSendOK
		if !r.Success {
			ev.Result = ResultSendNotOK
		}
		ev.OffsetMsgID = id(r.OffsetMsgID)
		ev.Topic = str(r.Topic)
		ev.Broker = str(r.StoreHost)
		ev.Host = str(r.ClientHost)
	case TypeSubBefore:
		ev.Hop, ev.Status, ev.Rule = ingest.HopDelivered, ingest.StatusOK, "trace:SubBefore"
		ev.Retry = int32(r.RetryTimes)
		ev.Host = str(r.ClientHost)
	case TypeSubAfter:
		ev.Hop, ev.Status, ev.Rule = ingest.HopConsumed, ingest.StatusOK, "trace:SubAfter"
		ev.Result = ContextCodeName(r.ContextCode)
		if !r.Success {
			ev.Status = ingest.StatusFailed
			ev.Error = "consume failed: listener returned " + ev.Result
		}
	case TypeEndTransaction:
		ev.Hop, ev.Rule = ingest.HopSent, "trace:EndTransaction"
		ev.Result = r.TransactionState
		ev.Topic = str(r.Topic)
		ev.Broker = str(r.StoreHost)
		switch r.TransactionState {
		case StateCommit:
			ev.Status = ingest.StatusOK
		case StateRollback:
			ev.Status, ev.Error = ingest.StatusFailed, "transaction rolled back"
		default:
			ev.Status, ev.Error = ingest.StatusTimeout, "transaction state unknown (UNKNOW): the broker will check it back"
		}
	case TypeRecall:
		if !r.Success {
			return ingest.Event{}, false
		}
		ev.Hop, ev.Status, ev.Rule = ingest.HopSent, ingest.StatusFailed, "trace:Recall"
		ev.Error = "message recalled"
		ev.Topic = str(r.Topic)
	default:
		return ingest.Event{}, false
	}
	return ev, true
}

func intern(in *ingest.Interner, s string) string {
	if in == nil || s == "" {
		return s
	}
	return in.String(s)
}

func internKeys(in *ingest.Interner, keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = intern(in, k)
	}
	return out
}
