package ingest

import (
	"strings"
	"testing"
)

func TestStringArena(t *testing.T) {
	var a StringArena
	var got []string
	var want []string
	for i := 0; i < 20000; i++ { // several blocks
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%40)
		got = append(got, a.Bytes([]byte(s)), a.Upper([]byte(s)))
		want = append(want, s, strings.ToUpper(s))
	}
	long := strings.Repeat("x", 10000)
	got, want = append(got, a.Bytes([]byte(long)), a.Upper([]byte(long))), append(want, long, strings.ToUpper(long))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got[i], want[i])
		}
	}
	if a.Bytes(nil) != "" || a.Upper([]byte("")) != "" {
		t.Error("empty input should give an empty string")
	}

	// Lists never overwrite each other, even when one grows past its room.
	l1 := append(a.List(2), "a", "b")
	l2 := append(a.List(1), "c")
	l1 = append(l1, "grown")
	l3 := append(a.List(1), "d")
	if strings.Join(l1, ",") != "a,b,grown" || strings.Join(l2, ",") != "c" || strings.Join(l3, ",") != "d" {
		t.Errorf("lists: %v %v %v", l1, l2, l3)
	}
	for i := 0; i < 5000; i++ {
		l := append(a.List(3), "x", "y", "z")
		if strings.Join(l, "") != "xyz" {
			t.Fatalf("list %d = %v", i, l)
		}
	}
}
