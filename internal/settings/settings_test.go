package settings

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidateRelayURL(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		{"http://127.0.0.1:8080", ""},
		{"https://relay.example.com/screenpop/", ""},
		{"wss://relay.example.com", ""},
		{"", "enter the relay's address"},
		{"javascript:alert(1)", "must start with http"},
		{"ftp://x", "must start with http"},
		{"http://", "no host"},
		{"http://u:p@relay", "user name"},
		{"127.0.0.1:8080", "http"},
		{"relay.example.com", "must start with http"},
		{"HTTPS://Relay.Example.com:8443/sp", ""},
		{"http://[::1]:8080", ""},
		{"http://relay:port", "invalid port"},
		{"http://relay/a b", "not a URL"},
		{"http://relay\\evil.example/", "not a URL"},
	}
	for _, tt := range tests {
		err := ValidateRelayURL(tt.in)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ValidateRelayURL(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestStreamURL(t *testing.T) {
	tests := []struct {
		relay  string
		cursor uint64
		want   string
	}{
		{"http://127.0.0.1:8080", 0, "ws://127.0.0.1:8080/v1/stream"},
		{"https://relay.example.com/sp/", 42, "wss://relay.example.com/sp/v1/stream?cursor=42"},
		{" HTTPS://Relay.example.com:8443 ", 18446744073709551615, "wss://relay.example.com:8443/v1/stream?cursor=18446744073709551615"},
		{"http://[::1]:8080/my%20relay/?x=1#frag", 7, "ws://[::1]:8080/my%20relay/v1/stream?cursor=7"},
		{"wss://relay.example.com", 0, "wss://relay.example.com/v1/stream"},
	}
	for _, tt := range tests {
		got, err := StreamURL(tt.relay, tt.cursor)
		if err != nil || got != tt.want {
			t.Errorf("StreamURL(%q, %d) = %q, %v; want %q", tt.relay, tt.cursor, got, err, tt.want)
		}
	}
	if got, err := StreamURL("ftp://relay", 1); err == nil {
		t.Errorf("StreamURL(ftp) = %q", got)
	}
}

func TestValidate(t *testing.T) {
	bad := errors.New("template is not http")
	errs := Settings{RelayURL: "nope", Template: "x"}.Validate(func(string) error { return bad })
	if len(errs) != 2 {
		t.Fatalf("errs = %v", errs)
	}
	var fe *FieldError
	if !errors.As(errs[1], &fe) || fe.Field != "template" {
		t.Errorf("template error not tied to its field: %v", errs[1])
	}
	if errs := Default().Validate(func(string) error { return nil }); len(errs) != 0 {
		t.Errorf("defaults invalid: %v", errs)
	}
}

func TestConnection(t *testing.T) {
	c := Connection("https://relay.example.com/", "sp_abcdefghijklmnopqrstuvwxyz")
	if c != "https://relay.example.com/#sp_abcdefghijklmnopqrstuvwxyz" {
		t.Fatalf("Connection = %q", c)
	}
	relay, secret, err := ParseConnection("  " + c + "\n")
	if err != nil || relay != "https://relay.example.com" || secret != "sp_abcdefghijklmnopqrstuvwxyz" {
		t.Errorf("ParseConnection = %q %q %v", relay, secret, err)
	}
	for in, want := range map[string]string{
		"https://relay.example.com":                              "not a connection string",
		"javascript:alert(1)#sp_aaaaaaaaaaaaaaaaaaaaa":           "http",
		"https://relay.example.com/#sp_short":                    "incomplete",
		"https://relay.example.com/#":                            "incomplete",
		"https://relay.example.com/#xx_aaaaaaaaaaaaaaaaaaaaaaaa": "incomplete",
	} {
		if _, _, err := ParseConnection(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConnection(%q) = %v, want %q", in, err, want)
		}
	}
}

// TestCapRoundTrip: 0 means no cap, and stays 0 once stored and read
// back over the defaults, as the pages and the background read settings.
func TestCapRoundTrip(t *testing.T) {
	for _, c := range []int{0, 1, 10, 100} {
		s := Default()
		s.CapPerMinute = c
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back := Default()
		if err := json.Unmarshal(b, &back); err != nil || back.CapPerMinute != c || !back.Equal(s) {
			t.Errorf("cap %d: stored as %s, read back as %d (%v)", c, b, back.CapPerMinute, err)
		}
	}
	// Settings stored before the cap existed get the default.
	back := Default()
	if err := json.Unmarshal([]byte(`{"relayUrl":"http://127.0.0.1:8080"}`), &back); err != nil || back.CapPerMinute != Default().CapPerMinute {
		t.Errorf("no cap stored: read as %d (%v)", back.CapPerMinute, err)
	}
}

func TestNormalize(t *testing.T) {
	s := Settings{Mode: "fireworks", WindowWidth: 5, CapPerMinute: -3}.Normalize()
	if s.Mode != ModeReuseTab || s.WindowWidth != 1000 || s.WindowHeight != 800 || s.CapPerMinute != 0 {
		t.Errorf("Normalize = %+v", s)
	}
	if !Default().Equal(Default()) || Default().Equal(s) {
		t.Error("Equal")
	}
}
