package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// adminLink is admin.json in the data folder: how the agent and token
// commands reach the running relay. bbolt lets one process at a time open
// the data file; while the relay runs it owns the file, so the commands
// ask it, over its admin endpoint on loopback, to make the change (and a
// revoke then closes the agent's connections at once). When no relay
// runs, the commands open the data file themselves.
//
// The file is readable by the relay's user only (0600): its token is the
// admin endpoint's only protection beyond loopback. It is written at
// start (a fresh token each time) and removed at shutdown; one left by a
// crashed relay is recognised because nothing answers at its address.
type adminLink struct {
	URL       string `json:"url"`
	Token     string `json:"token"`
	PublicURL string `json:"publicUrl"`
	PID       int    `json:"pid"`
}

const adminLinkFile = "admin.json"

func newAdminLink(adminURL, publicURL string) (adminLink, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return adminLink{}, err
	}
	return adminLink{URL: adminURL, Token: hex.EncodeToString(b[:]), PublicURL: publicURL, PID: os.Getpid()}, nil
}

func writeAdminLink(dir string, l adminLink) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".admin-*") // 0600
	if err != nil {
		return fmt.Errorf("cannot write %s in the data folder: %v", adminLinkFile, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, adminLinkFile))
}

// readAdminLink reads admin.json; ok is false when there is none.
func readAdminLink(dir string) (l adminLink, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, adminLinkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("cannot read the running relay's %s: %v; run this command as the relay's user", adminLinkFile, err)
	}
	if err := json.Unmarshal(b, &l); err != nil || l.URL == "" || l.Token == "" {
		return l, false, nil // damaged: as if absent
	}
	return l, true, nil
}

// removeAdminLink removes admin.json if it is still l (a relay started
// since must keep its own).
func removeAdminLink(dir string, l adminLink) {
	if cur, ok, _ := readAdminLink(dir); ok && cur.Token == l.Token {
		os.Remove(filepath.Join(dir, adminLinkFile))
	}
}

// answers reports whether something listens at the admin URL.
func (l adminLink) answers() bool {
	u, err := url.Parse(l.URL)
	if err != nil {
		return false
	}
	c, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
