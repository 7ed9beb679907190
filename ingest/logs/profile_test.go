package logs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

func TestDefaultProfile(t *testing.T) {
	p := Default()
	if len(p.Sources) != 2 {
		t.Fatalf("sources = %d, want 2", len(p.Sources))
	}
	for _, s := range p.Sources {
		if s.always {
			t.Errorf("source %s: a rule has no literal: every line would be parsed", s.Name)
		}
		if len(s.filters) == 0 || len(s.filters) > 4 {
			t.Errorf("source %s: %d prefilter literals %q, want 1..4", s.Name, len(s.filters), s.filters)
		}
	}
	if !strings.Contains(string(DefaultYAML()), "version: 1") {
		t.Error("DefaultYAML lacks version")
	}
}

func TestProfileErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"bad-hop.yaml", `line 11: rule "sent-ok": unknown hop "sended" (want one of paid, sent, stored, delivered, consumed, granted, dead_letter, grant_failed)`},
		{"bad-regex.yaml", `line 6: rule "sent-ok": bad regex: error parsing regexp: missing closing ): ` + "`send (ok`"},
		{"bad-field.yaml", `line 10: rule "paid": fields: unknown field "order_number" (want one of order_id, keys,`},
		{"no-selector.yaml", `line 5: rule "paid": no selector: give contains:, regex:, field: or level:`},
		{"no-literal.yaml", `line 5: rule "any-error": no literal to prefilter lines on`},
		{"bad-yaml.yaml", `bad YAML: line 6: found unexpected end of stream`},
		{"bad-status.yaml", `line 8: rule "paid": unknown status "done" (want one of ok, failed, timeout, skipped, absent)`},
		{"unknown-key.yaml", `line 6: rule "paid": unknown key "contians"`},
		{"no-group.yaml", `line 9: rule "paid": fields: order_id: the regex needs a named group`},
		{"bad-version.yaml", `line 1: unsupported version "2" (want 1)`},
		{"bad-timezone.yaml", `line 4: source "order-service": unknown timezone "Mars/Olympus"`},
		{"bad-format.yaml", `line 4: source "order-service": unknown format "xml" (want one of auto, logback, json, logfmt)`},
		{"bad-host.yaml", `line 4: source "order-service": host.from_path: the regex needs a named group (?P<host>...)`},
		{"dup-rule.yaml", `line 8: source "order-service": rule "paid": name used twice in this source (first on line 5)`},
		{"empty.yaml", `empty profile`},
		{"layout-no-regex.yaml", `line 3: source "web": time_layout needs a time_regex`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "profiles", tt.file)
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = nil error, want %q", path, tt.want)
			}
			if !errors.Is(err, ingest.ErrBadProfile) {
				t.Errorf("error does not wrap ErrBadProfile: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "profile "+path+": ") {
				t.Errorf("error %q does not start with the profile name", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n got %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestProfileMissingFile(t *testing.T) {
	_, err := Load("testdata/profiles/nope.yaml")
	if !errors.Is(err, ingest.ErrBadProfile) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrBadProfile and ErrNotExist", err)
	}
}

func TestProfileGood(t *testing.T) {
	p, err := Load("testdata/profiles/good-stranger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkout := p.Sources[0]
	if checkout.loc == nil || checkout.loc.String() != "Asia/Shanghai" {
		t.Errorf("timezone = %v", checkout.loc)
	}
	if got := checkout.Rules[1].Level; len(got) != 2 {
		t.Errorf("level = %v", got)
	}
	// the alias *ids gives mq-ok the same extractors as mq-error
	if len(checkout.Rules[2].Extract) != 3 {
		t.Errorf("mq-ok extractors = %v, want the 3 of the anchor", checkout.Rules[2].Extract)
	}
	bonus := p.Sources[1]
	if !bonus.always {
		t.Error("bonus: always rule not noted")
	}
	g := bonus.Rules[1]
	if g.Hop != ingest.HopGranted || g.Status != ingest.StatusFailed {
		t.Errorf("grant_failed -> %v/%v, want granted/failed", g.Hop, g.Status)
	}
	if s, ok := p.sourceFor("checkout/host-3/app.log", "app.log", "/x/checkout/host-3/app.log"); !ok || s.Name != "checkout" {
		t.Errorf("sourceFor checkout = %v %v", s, ok)
	}
	if s, ok := p.sourceFor("a/b.json", "b.json", "a/b.json"); ok {
		t.Errorf("sourceFor b.json = %v, want none", s.Name)
	}
	if s := p.sourceForFormat("json"); s == nil || s.Name != "bonus" {
		t.Errorf("sourceForFormat(json) = %v", s)
	}
}

func TestRequiredLiteral(t *testing.T) {
	tests := []struct {
		re   string
		want string
	}{
		{`^send pay-success (ok|failed)`, "send pay-success "},
		{`Order (?P<id>\d+) paid by`, " paid by"},
		{`(?i)timeout`, ""},
		{`a|b`, ""},
		{`x+yz`, "yz"},
		{`(ab)+defg`, "defg"},
		{`foo.*barbaz`, "barbaz"},
	}
	for _, tt := range tests {
		p, err := Parse([]byte("version: 1\nsources:\n- name: s\n  rules:\n  - name: r\n    always: true\n    hop: paid\n    regex: '"+tt.re+"'\n"), "t")
		if err != nil {
			t.Fatalf("%s: %v", tt.re, err)
		}
		r := p.Sources[0].Rules[0]
		if got := string(r.literal); got != tt.want {
			t.Errorf("literal(%q) = %q, want %q", tt.re, got, tt.want)
		}
	}
}

func TestRawSafe(t *testing.T) {
	if got := rawSafe(`error="timeout"`, "json"); got != "timeout" {
		t.Errorf("rawSafe = %q", got)
	}
	if got := rawSafe("红包 granted ok", "json"); got != " granted ok" {
		t.Errorf("rawSafe = %q", got)
	}
}

func TestReduceLiterals(t *testing.T) {
	got := reduceLiterals([][]byte{[]byte("send pay-success ok"), []byte("send pay-success failed"),
		[]byte("payment callback ok, order paid"), []byte("red packet granted"), []byte("red packet")})
	var s []string
	for _, g := range got {
		s = append(s, string(g))
	}
	want := "payment callback ok, order paid|red packet|send pay-success "
	if strings.Join(s, "|") != want {
		t.Errorf("reduceLiterals = %q, want %q", strings.Join(s, "|"), want)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"order-service/**", "order-service/a/b.log", true},
		{"order-service/**", "other/a.log", false},
		{"**/*.log", "a.log", true},
		{"**/*.log", "x/y/a.log", true},
		{"*.log", "x/a.log", false},
		{"order-*.log", "order-1.log", true},
		{"app.{log,txt}", "app.txt", true},
		{"app.[0-9].log", "app.3.log", true},
		{"a?c", "abc", true},
	}
	for _, tt := range tests {
		re, err := globRegexp(tt.glob)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(tt.path); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

// TestCustomStamp reads text lines whose stamp no built-in format knows (nginx's), through time_regex and
// time_layout; a line without the stamp is malformed, not silently mistimed.
func TestCustomStamp(t *testing.T) {
	prof, err := Load(filepath.Join("testdata", "custom-stamp", "profile.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSource([]string{filepath.Join("testdata", "custom-stamp", "web.log")}, Options{Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := src.Read(context.Background(), func(b []ingest.Event) error {
		for _, e := range b {
			got = append(got, e.OrderID+"@"+time.Unix(0, e.Time).UTC().Format(time.RFC3339))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"77@2026-11-23T02:00:00Z", "78@2026-11-23T02:00:01Z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
	if st := src.Stats()[0]; st.Malformed != 1 || st.Matched != 2 {
		t.Errorf("stats %+v", st)
	}
}
