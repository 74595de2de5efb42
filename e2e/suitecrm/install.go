package suitecrm

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/screenpop/screenpop/server/crm"
)

// This file installs SuiteCRM and starts and stops its servers; Open
// decides what of it a run needs.

// TarballEnv names the SuiteCRM tarball (or release zip) to install.
const TarballEnv = "SCREENPOP_SUITECRM_TARBALL"

// DirEnv overrides the install folder (default: one under os.TempDir()
// per tarball checksum).
const DirEnv = "SCREENPOP_SUITECRM_DIR"

// ReleaseURL is SuiteCRM's release zip, downloaded when no tarball is
// on the machine.
const ReleaseURL = "https://github.com/salesagility/SuiteCRM/releases/download/v7.14.6/SuiteCRM-7.14.6.zip"

// sharedTarball is the workplace's copy, relative to the repository root.
const sharedTarball = "../shared/crm/suitecrm-7.14.6-with-vendor.tar.gz"

// Packages are the Debian packages the CRM needs (.ci/run installs them).
const Packages = "php8.2-cli php8.2-mysql php8.2-curl php8.2-gd php8.2-mbstring php8.2-xml php8.2-zip php8.2-intl php8.2-imap php8.2-soap php8.2-ldap php8.2-bcmath php8.2-opcache libapache2-mod-php8.2 apache2 mariadb-server mariadb-client"

var (
	//go:embed httpd.conf.tmpl
	httpdConf string
	//go:embed config_si.php.tmpl
	configSI string
	//go:embed prefs.php
	prefsPHP string
)

// Options tune Open.
type Options struct {
	Tarball string               // default: TarballEnv, the shared copy, else ReleaseURL
	Dir     string               // default: DirEnv, else under os.TempDir()
	Logf    func(string, ...any) // progress; nil is silent
	HTTP    *http.Client         // for the API and the download
}

// instance is what install.json keeps about an install, so that the next
// run finds and restarts it.
type instance struct {
	WebPort     int      `json:"web_port"`
	DBPort      int      `json:"db_port"`
	DBPassword  string   `json:"db_password"`
	Seeded      []Record `json:"seeded"`
	SeedVersion int      `json:"seed_version"`
	// Tarball and InstallSeconds say what was installed and how long it took.
	Tarball        string  `json:"tarball"`
	InstallSeconds float64 `json:"install_seconds"`
}

// The database of the test CRM.
const (
	dbName = "suitecrm"
	dbUser = "suitecrm"
)

// Open returns a running SuiteCRM: the one already installed in the
// folder, restarted if its servers stopped, or a fresh install.
func Open(ctx context.Context, o Options) (*CRM, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := checkTools(); err != nil {
		return nil, err
	}
	src, err := tarballPath(o.Tarball)
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		dir = os.Getenv(DirEnv)
	}
	if dir == "" {
		key, err := fileKey(src)
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(os.TempDir(), "screenpop-suitecrm-"+key)
	}
	h := o.HTTP
	if h == nil {
		h = &http.Client{Timeout: 5 * time.Minute}
	}

	unlock, err := lock(ctx, dir+".lock")
	if err != nil {
		return nil, err
	}
	defer unlock()

	start := time.Now()
	inst, err := readInstance(dir)
	if err == nil {
		c, err := warmStart(ctx, dir, inst, h)
		if err == nil {
			logf("suitecrm: reusing the install in %s (%s, ready in %v)", dir, c.BaseURL, time.Since(start).Round(time.Millisecond))
			return c, nil
		}
		logf("suitecrm: the install in %s does not start again (%v); installing afresh", dir, err)
	}
	if src == "" {
		src, err = download(ctx, h, dir+".zip")
		if err != nil {
			return nil, err
		}
	}
	logf("suitecrm: installing SuiteCRM %s from %s into %s (a few minutes, once per machine)", Version, src, dir)
	c, err := coldInstall(ctx, dir, src, h, logf)
	if err != nil {
		return nil, fmt.Errorf("%w (logs: %s/install.log, %s/apache/error.log, %s/apache/php-error.log, %s/mysql/error.log)", err, dir, dir, dir, dir)
	}
	logf("suitecrm: installed in %v at %s", time.Since(start).Round(time.Second), c.BaseURL)
	return c, nil
}

// checkTools returns a MissingError for the first server program not on
// this machine.
func checkTools() error {
	tools := []struct{ path, pkg string }{
		{"/usr/sbin/apache2", "apache2"},
		{"/usr/lib/apache2/modules/libphp8.2.so", "libapache2-mod-php8.2"},
		{"/usr/sbin/mariadbd", "mariadb-server"},
		{"/usr/bin/mariadb-install-db", "mariadb-server"},
		{"/usr/bin/mariadb", "mariadb-client"},
		{"/etc/php/8.2/mods-available/mysqli.ini", "php8.2-mysql"},
		{"/etc/php/8.2/mods-available/curl.ini", "php8.2-curl"},
		{"/etc/php/8.2/mods-available/gd.ini", "php8.2-gd"},
		{"/etc/php/8.2/mods-available/mbstring.ini", "php8.2-mbstring"},
		{"/etc/php/8.2/mods-available/xml.ini", "php8.2-xml"},
		{"/etc/php/8.2/mods-available/zip.ini", "php8.2-zip"},
		{"/etc/php/8.2/mods-available/intl.ini", "php8.2-intl"},
		{"/etc/php/8.2/mods-available/imap.ini", "php8.2-imap"},
		{"/etc/php/8.2/mods-available/soap.ini", "php8.2-soap"},
	}
	for _, tool := range tools {
		if _, err := os.Stat(tool.path); err != nil {
			return &MissingError{What: fmt.Sprintf("%s (%s)", tool.pkg, tool.path), Install: "apt-get install -y " + Packages}
		}
	}
	return nil
}

// tarballPath finds the tarball: explicit, TarballEnv, the shared copy;
// "" means download it.
func tarballPath(explicit string) (string, error) {
	p := explicit
	if p == "" {
		p = os.Getenv(TarballEnv)
	}
	if p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", &MissingError{What: "the SuiteCRM tarball " + p, Install: fmt.Sprintf("set %s to SuiteCRM %s's release zip or tarball, or unset it to download %s", TarballEnv, Version, ReleaseURL)}
		}
		return filepath.Abs(p)
	}
	root, err := repoRoot()
	if err == nil {
		shared := filepath.Join(root, sharedTarball)
		if _, err := os.Stat(shared); err == nil {
			return filepath.Clean(shared), nil
		}
	}
	return "", nil
}

// repoRoot is the folder of go.mod above the working directory.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("no go.mod above the working directory")
		}
		d = up
	}
}

// fileKey is the first 12 hex digits of the file's SHA-256.
func fileKey(path string) (string, error) {
	if path == "" {
		sum := sha256.Sum256([]byte(ReleaseURL))
		return hex.EncodeToString(sum[:6]), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)[:6]), nil
}

// lock takes an exclusive lock on path (flock), waiting for another
// test binary that installs; ctx bounds the wait.
func lock(ctx context.Context, path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the install lock %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
	case <-ctx.Done():
		f.Close() // the goroutine's flock fails or is released with the file
		return nil, fmt.Errorf("waited too long for another test binary installing SuiteCRM (lock %s held): %w", path, ctx.Err())
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func readInstance(dir string) (instance, error) {
	var inst instance
	b, err := os.ReadFile(filepath.Join(dir, "install.json"))
	if err != nil {
		return inst, err
	}
	if err := json.Unmarshal(b, &inst); err != nil {
		return inst, fmt.Errorf("%s/install.json: %w", dir, err)
	}
	if inst.WebPort == 0 || inst.DBPort == 0 || len(inst.Seeded) == 0 {
		return inst, fmt.Errorf("%s/install.json is incomplete", dir)
	}
	if inst.SeedVersion != SeedVersion {
		return inst, fmt.Errorf("%s was seeded by version %d of the seed, not %d", dir, inst.SeedVersion, SeedVersion)
	}
	return inst, nil
}

// warmStart starts what stopped of an installed CRM and checks it
// answers its API.
func warmStart(ctx context.Context, dir string, inst instance, h *http.Client) (*CRM, error) {
	if !listening(inst.DBPort) {
		if err := startDB(ctx, dir, inst.DBPort); err != nil {
			return nil, err
		}
	}
	if !listening(inst.WebPort) {
		if err := startWeb(ctx, dir, inst.WebPort); err != nil {
			return nil, err
		}
	}
	c, err := newCRM(dir, inst, h)
	if err != nil {
		return nil, err
	}
	if err := c.api.Login(ctx); err != nil {
		return nil, fmt.Errorf("the API login fails: %w", err)
	}
	return c, nil
}

func newCRM(dir string, inst instance, h *http.Client) (*CRM, error) {
	base := fmt.Sprintf("http://127.0.0.1:%d", inst.WebPort)
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: base, User: AdminUser, Password: AdminPassword, HTTP: h})
	if err != nil {
		return nil, err
	}
	return &CRM{BaseURL: base, User: AdminUser, Password: AdminPassword, Dir: dir, Seeded: inst.Seeded, api: api}, nil
}

// coldInstall installs SuiteCRM from src into dir, which it empties
// first, and seeds it.
func coldInstall(ctx context.Context, dir, src string, h *http.Client, logf func(string, ...any)) (*CRM, error) {
	began := time.Now()
	stopServers(dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("emptying %s: %w", dir, err)
	}
	for _, d := range []string{"www", "apache/run", "mysql/data", "sessions"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	log, err := os.Create(filepath.Join(dir, "install.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	step := func(what string) func() {
		t := time.Now()
		fmt.Fprintf(log, "%s: %s\n", t.Format(time.TimeOnly), what)
		return func() { fmt.Fprintf(log, "  took %v\n", time.Since(t).Round(time.Millisecond)) }
	}

	inst := instance{Tarball: src, DBPassword: randomHex(8)}
	if inst.WebPort, err = freePort(); err != nil {
		return nil, err
	}
	if inst.DBPort, err = freePort(); err != nil {
		return nil, err
	}

	done := step("extracting " + src)
	if err := extract(src, filepath.Join(dir, "www")); err != nil {
		return nil, fmt.Errorf("extracting %s: %w", src, err)
	}
	done()

	done = step("creating the database")
	if err := initDB(ctx, dir, inst, log); err != nil {
		return nil, err
	}
	done()

	vars := map[string]any{
		"Dir": dir, "WebPort": inst.WebPort, "DBPort": inst.DBPort,
		"BaseURL": fmt.Sprintf("http://127.0.0.1:%d", inst.WebPort), "AdminUser": AdminUser, "AdminPassword": AdminPassword,
		"DBName": dbName, "DBUser": dbUser, "DBPassword": inst.DBPassword,
	}
	if err := writeTemplate(filepath.Join(dir, "apache/httpd.conf"), httpdConf, vars); err != nil {
		return nil, err
	}
	if err := writeTemplate(filepath.Join(dir, "www/config_si.php"), configSI, vars); err != nil {
		return nil, err
	}
	if err := chownTree([]string{filepath.Join(dir, "www"), filepath.Join(dir, "sessions")}); err != nil {
		return nil, err
	}
	done = step("starting Apache")
	if err := startWeb(ctx, dir, inst.WebPort); err != nil {
		return nil, err
	}
	done()

	done = step("running the silent installer")
	c, err := newCRM(dir, inst, h)
	if err != nil {
		return nil, err
	}
	if err := silentInstall(ctx, c, log); err != nil {
		return nil, err
	}
	done()

	done = step("marking the admin's first-login wizard done")
	if err := adminPrefs(ctx, dir, log); err != nil {
		return nil, err
	}
	done()

	done = step("seeding")
	if inst.Seeded, err = seed(ctx, c.api); err != nil {
		return nil, err
	}
	c.Seeded, inst.SeedVersion = inst.Seeded, SeedVersion
	done()

	inst.InstallSeconds = time.Since(began).Seconds()
	b, _ := json.MarshalIndent(inst, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "install.json"), b, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "installed in %.1fs\n", inst.InstallSeconds)
	return c, nil
}

// silentInstall runs install.php?goto=SilentInstall&cli=true and checks
// config.php is then locked.
func silentInstall(ctx context.Context, c *CRM, log io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/install.php?goto=SilentInstall&cli=true", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the silent installer: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(log, "silent installer: %s\n%s\n", resp.Status, body)
	cfg, err := os.ReadFile(filepath.Join(c.Dir, "www/config.php"))
	if err != nil || !bytes.Contains(cfg, []byte("'installer_locked' => true")) {
		return fmt.Errorf("the silent installer did not finish (%s; config.php has no 'installer_locked' => true): read its answer in install.log", resp.Status)
	}
	return nil
}

// adminPrefs runs prefs.php with PHP's CLI as www-data.
func adminPrefs(ctx context.Context, dir string, log io.Writer) error {
	script := filepath.Join(dir, "prefs.php")
	if err := os.WriteFile(script, []byte(prefsPHP), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "runuser", "-u", "www-data", "--", "php", "-d", "memory_limit=512M", "-d", "error_reporting=22519", "-d", "display_errors=stderr", script, filepath.Join(dir, "www"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("setting the admin's preferences (php %s): %w (its output is in install.log)", script, err)
	}
	return nil
}

// extract unpacks a .tar.gz or .zip whose files sit in one top folder
// into dst, without that folder.
func extract(src, dst string) error {
	if strings.HasSuffix(src, ".zip") {
		return extractZip(src, dst)
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name, ok := underTop(hdr.Name)
		if !ok {
			continue
		}
		p := filepath.Join(dst, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(p, tr, os.FileMode(hdr.Mode)&0o777|0o600); err != nil {
				return err
			}
		case tar.TypeSymlink:
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.Symlink(hdr.Linkname, p); err != nil {
				return err
			}
		}
	}
}

func extractZip(src, dst string) error {
	z, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer z.Close()
	for _, f := range z.File {
		name, ok := underTop(f.Name)
		if !ok {
			continue
		}
		p := filepath.Join(dst, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		r, err := f.Open()
		if err != nil {
			return err
		}
		err = writeFile(p, r, 0o644)
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// underTop strips the archive's top folder (SuiteCRM-7.14.6/) and
// refuses names that would leave dst.
func underTop(name string) (string, bool) {
	_, rest, ok := strings.Cut(strings.TrimPrefix(name, "./"), "/")
	if !ok || rest == "" {
		return "", false
	}
	clean := filepath.Clean(rest)
	if strings.HasPrefix(clean, "..") || filepath.IsAbs(clean) {
		return "", false
	}
	return clean, true
}

func writeFile(p string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeTemplate(path, text string, vars map[string]any) error {
	t, err := template.New(filepath.Base(path)).Parse(text)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, vars); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// chownTree gives the trees to www-data, Apache's user.
func chownTree(roots []string) error {
	for _, root := range roots {
		if out, err := exec.Command("chown", "-R", "www-data:www-data", root).CombinedOutput(); err != nil {
			return fmt.Errorf("chown -R www-data %s: %v: %s (the harness runs as root, or as a user who may chown)", root, err, out)
		}
	}
	return nil
}

// initDB creates MariaDB's data folder, starts the server and makes the
// CRM's database and user.
func initDB(ctx context.Context, dir string, inst instance, log io.Writer) error {
	data := filepath.Join(dir, "mysql/data")
	cmd := exec.CommandContext(ctx, "mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mariadb-install-db: %w (its output is in install.log)", err)
	}
	if err := startDB(ctx, dir, inst.DBPort); err != nil {
		return err
	}
	sql := fmt.Sprintf("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;"+
		" CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; GRANT ALL ON %s.* TO '%s'@'127.0.0.1';"+
		" CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'; GRANT ALL ON %s.* TO '%s'@'localhost'; FLUSH PRIVILEGES;",
		dbName, dbUser, inst.DBPassword, dbName, dbUser, dbUser, inst.DBPassword, dbName, dbUser)
	cmd = exec.CommandContext(ctx, "mariadb", "--no-defaults", "--socket="+filepath.Join(dir, "mysql/mysqld.sock"), "-uroot", "-e", sql)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("creating the CRM's database: %w (see install.log)", err)
	}
	return nil
}

// startDB starts the install's own MariaDB server on 127.0.0.1:port,
// detached so that it outlives the test binary.
func startDB(ctx context.Context, dir string, port int) error {
	m := filepath.Join(dir, "mysql")
	logf, err := os.OpenFile(filepath.Join(m, "error.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--datadir="+filepath.Join(m, "data"),
		"--socket="+filepath.Join(m, "mysqld.sock"), "--pid-file="+filepath.Join(m, "mysqld.pid"),
		"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--user=root",
		"--log-error="+filepath.Join(m, "error.log"), "--skip-name-resolve",
		"--innodb-buffer-pool-size=128M", "--innodb-flush-log-at-trx-commit=2", "--max-connections=50")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting mariadbd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return waitListening(ctx, port, exited, "MariaDB", filepath.Join(m, "error.log"))
}

// startWeb starts the install's own Apache on 127.0.0.1:port.
func startWeb(ctx context.Context, dir string, port int) error {
	conf := filepath.Join(dir, "apache/httpd.conf")
	out, err := exec.CommandContext(ctx, "/usr/sbin/apache2", "-f", conf, "-k", "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("starting Apache (apache2 -f %s -k start): %v: %s", conf, err, out)
	}
	return waitListening(ctx, port, nil, "Apache", filepath.Join(dir, "apache/error.log"))
}

// stopServers stops the servers an earlier install in dir started (by
// the pid files they wrote there), before it is installed afresh.
func stopServers(dir string) {
	exec.Command("/usr/sbin/apache2", "-f", filepath.Join(dir, "apache/httpd.conf"), "-k", "stop").Run()
	if b, err := os.ReadFile(filepath.Join(dir, "mysql/mysqld.pid")); err == nil {
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 && syscall.Kill(pid, syscall.SIGTERM) == nil {
			// Wait for it to let go of its data folder (at most 30 s).
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for range 600 {
				if syscall.Kill(pid, 0) != nil {
					break
				}
				<-tick.C
			}
		}
	}
}

// waitListening waits until something accepts on 127.0.0.1:port, the
// server exits, or ctx ends.
func waitListening(ctx context.Context, port int, exited <-chan error, what, logPath string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for !listening(port) {
		select {
		case err := <-exited:
			return fmt.Errorf("%s exited at start (%v): read %s", what, err, logPath)
		case <-ctx.Done():
			return fmt.Errorf("%s did not listen on 127.0.0.1:%d: %w: read %s", what, port, ctx.Err(), logPath)
		case <-deadline.C:
			return fmt.Errorf("%s did not listen on 127.0.0.1:%d within 2 minutes: read %s", what, port, logPath)
		case <-tick.C:
		}
	}
	return nil
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// download fetches ReleaseURL to path (once: it stays for the next runs).
func download(ctx context.Context, h *http.Client, path string) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ReleaseURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := h.Do(req)
	if err != nil {
		return "", &MissingError{What: "the SuiteCRM tarball", Install: fmt.Sprintf("downloading %s failed (%v): download it yourself and set %s to its path", ReleaseURL, err, TarballEnv)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &MissingError{What: "the SuiteCRM tarball", Install: fmt.Sprintf("downloading %s answered %s: download it yourself and set %s to its path", ReleaseURL, resp.Status, TarballEnv)}
	}
	tmp := path + ".part"
	if err := writeFile(tmp, resp.Body, 0o644); err != nil {
		return "", fmt.Errorf("downloading %s: %w", ReleaseURL, err)
	}
	return path, os.Rename(tmp, path)
}
