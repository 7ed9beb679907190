package correlate

import (
	"fmt"
	"strings"
	"testing"
)

func TestSymtab(t *testing.T) {
	tab := newSymtab(4)
	ids := map[string]sym{}
	for i := 0; i < 100_000; i++ { // many growths
		s := fmt.Sprintf("0A0B0C0D%024X", i*7919)
		x := tab.id(s)
		if prev, ok := ids[s]; ok && prev != x {
			t.Fatalf("%s: %d then %d", s, prev, x)
		}
		ids[s] = x
	}
	if tab.len() != len(ids)+1 {
		t.Errorf("len %d, want %d", tab.len(), len(ids)+1)
	}
	for s, x := range ids {
		if got := tab.str(x); got != s {
			t.Fatalf("str(%d) = %q, want %q", x, got, s)
		}
		if y, ok := tab.lookup(s); !ok || y != x {
			t.Fatalf("lookup(%q) = %d %v", s, y, ok)
		}
	}
	if x := tab.id(""); x != 0 || tab.str(0) != "" {
		t.Errorf("empty string: %d", x)
	}
	if _, ok := tab.lookup("never added"); ok {
		t.Error("lookup found a string never added")
	}
	big := strings.Repeat("x", 3<<20) // longer than a chunk
	if got := tab.str(tab.id(big)); len(got) != symMaxLen {
		t.Errorf("a huge identifier: %d bytes kept", len(got))
	}
}
