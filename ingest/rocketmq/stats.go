package rocketmq

import (
	"fmt"
	"sort"
	"strconv"
)

// QueueProgress is one queue's line of a group's consume stats (OffsetWrapper of ConsumeStats.offsetTable).
type QueueProgress struct {
	Broker         string // brokerName of the MessageQueue key
	Topic          string
	QueueID        int32
	BrokerOffset   int64 // the queue's max offset: the next message will get this queue offset
	ConsumerOffset int64 // the group's committed offset: messages below it count as consumed
	PullOffset     int64
	LastTimestamp  int64 // store time (ms) of the last consumed message, 0 if unknown
}

// ConsumeStats is a group's progress on one broker (GET_CONSUME_STATS).
type ConsumeStats struct {
	Queues     []QueueProgress // sorted by topic, broker, queue
	ConsumeTPS float64
}

// ParseConsumeStats parses a GET_CONSUME_STATS response body:
//
//	{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"pay-success"}:
//	  {"brokerOffset":5,"consumerOffset":5,"lastTimestamp":1764079200000,"pullOffset":5},...}}
//
// (not JSON: the keys of offsetTable are objects). Every queue key must name its topic and queue; an entry
// without a consumerOffset is an error.
func ParseConsumeStats(body []byte) (ConsumeStats, error) {
	var cs ConsumeStats
	v, err := parseLoose(body)
	if err != nil {
		return cs, fmt.Errorf("parse consume stats: %w", err)
	}
	if v.kind != looseObject {
		return cs, fmt.Errorf("parse consume stats: %w: body is not an object", errLoose)
	}
	cs.ConsumeTPS = v.float("consumeTps")
	table, ok := v.get("offsetTable")
	if !ok || table.kind == looseNull {
		return cs, nil
	}
	if table.kind != looseObject {
		return cs, fmt.Errorf("parse consume stats: %w: offsetTable is not an object", errLoose)
	}
	for i, m := range table.members {
		q, err := queueKey(m.key)
		if err != nil {
			return cs, fmt.Errorf("parse consume stats: offsetTable entry %d: %w", i+1, err)
		}
		if m.val.kind != looseObject {
			return cs, fmt.Errorf("parse consume stats: offsetTable entry %d: %w: value is not an object", i+1, errLoose)
		}
		co, ok := m.val.int("consumerOffset")
		if !ok {
			return cs, fmt.Errorf("parse consume stats: offsetTable entry %d: %w: no consumerOffset", i+1, errLoose)
		}
		q.ConsumerOffset = co
		q.BrokerOffset, _ = m.val.int("brokerOffset")
		q.PullOffset, _ = m.val.int("pullOffset")
		q.LastTimestamp, _ = m.val.int("lastTimestamp")
		cs.Queues = append(cs.Queues, q)
	}
	sort.Slice(cs.Queues, func(i, j int) bool {
		a, b := cs.Queues[i], cs.Queues[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Broker != b.Broker {
			return a.Broker < b.Broker
		}
		return a.QueueID < b.QueueID
	})
	return cs, nil
}

// queueKey reads a MessageQueue written as an object key: {"brokerName":..,"queueId":..,"topic":..}.
func queueKey(k looseValue) (QueueProgress, error) {
	var q QueueProgress
	if k.kind != looseObject {
		return q, fmt.Errorf("%w: queue key is not an object", errLoose)
	}
	q.Topic = k.str("topic")
	q.Broker = k.str("brokerName")
	id, ok := k.int("queueId")
	if q.Topic == "" || !ok || id < 0 || id > 1<<20 {
		return q, fmt.Errorf("%w: queue key without topic or queueId", errLoose)
	}
	q.QueueID = int32(id)
	return q, nil
}

// ParseOffsetTable parses the broker's consumerOffset.json (config/consumerOffset.json under the store root):
//
//	{"offsetTable":{"pay-success@redpacket-consumer":{0:4,1:4,2:3,3:5}}}
//
// (bare integer keys). It returns topic@group -> queueId -> committed offset.
func ParseOffsetTable(body []byte) (map[string]map[int32]int64, error) {
	v, err := parseLoose(body)
	if err != nil {
		return nil, fmt.Errorf("parse offset table: %w", err)
	}
	table, ok := v.get("offsetTable")
	if !ok || table.kind != looseObject {
		return nil, fmt.Errorf("parse offset table: %w: no offsetTable object", errLoose)
	}
	out := make(map[string]map[int32]int64, len(table.members))
	for _, m := range table.members {
		if m.key.kind != looseString || m.val.kind != looseObject {
			return nil, fmt.Errorf("parse offset table: %w: entry %q is not topic@group -> {queue: offset}", errLoose, m.key.text)
		}
		qs := make(map[int32]int64, len(m.val.members))
		for _, qm := range m.val.members {
			id, ok1 := qm.key.asInt()
			off, ok2 := qm.val.asInt()
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("parse offset table: %w: %s: queue %q", errLoose, m.key.text, qm.key.text)
			}
			qs[int32(id)] = off
		}
		out[m.key.text] = qs
	}
	return out, nil
}

// Route is a topic's route as the name server tells it (TopicRouteData): its queues per broker and the brokers'
// addresses.
type Route struct {
	Queues  []RouteQueue
	Brokers []RouteBroker
}

// RouteQueue is one QueueData: how many queues a topic has on one broker.
type RouteQueue struct {
	Broker     string
	ReadQueues int32
	WriteQues  int32
	Perm       int32
}

// RouteBroker is one BrokerData: a broker name and its addresses by broker id (0 is the master).
type RouteBroker struct {
	Cluster string
	Name    string
	Addrs   map[int64]string
}

// MasterAddr returns the master address of the broker (id 0), or the lowest-id address when no master is up.
func (b RouteBroker) MasterAddr() string {
	if a, ok := b.Addrs[0]; ok {
		return a
	}
	best, addr := int64(-1), ""
	for id, a := range b.Addrs {
		if best < 0 || id < best {
			best, addr = id, a
		}
	}
	return addr
}

// ParseRoute parses a GET_ROUTEINFO_BY_TOPIC body. brokerAddrs keys are bare integers ({0:"127.0.0.1:10911"})
// unless the client asked for standard JSON; both are accepted.
func ParseRoute(body []byte) (Route, error) {
	var r Route
	v, err := parseLoose(body)
	if err != nil {
		return r, fmt.Errorf("parse topic route: %w", err)
	}
	qd, _ := v.get("queueDatas")
	for _, q := range qd.items {
		rq, _ := q.int("readQueueNums")
		wq, _ := q.int("writeQueueNums")
		perm, _ := q.int("perm")
		r.Queues = append(r.Queues, RouteQueue{Broker: q.str("brokerName"), ReadQueues: int32(rq), WriteQues: int32(wq), Perm: int32(perm)})
	}
	bd, _ := v.get("brokerDatas")
	for _, b := range bd.items {
		rb := RouteBroker{Cluster: b.str("cluster"), Name: b.str("brokerName"), Addrs: map[int64]string{}}
		addrs, _ := b.get("brokerAddrs")
		for _, m := range addrs.members {
			id, ok := m.key.asInt()
			if !ok || m.val.kind != looseString {
				return r, fmt.Errorf("parse topic route: %w: broker %s: address key %q", errLoose, rb.Name, m.key.text)
			}
			rb.Addrs[id] = m.val.text
		}
		r.Brokers = append(r.Brokers, rb)
	}
	sort.Slice(r.Queues, func(i, j int) bool { return r.Queues[i].Broker < r.Queues[j].Broker })
	sort.Slice(r.Brokers, func(i, j int) bool { return r.Brokers[i].Name < r.Brokers[j].Name })
	return r, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
