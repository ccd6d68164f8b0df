package appbundle

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeInterop is run by Node.js with the paths of a private and a public
// key in the CLI's PKCS#1 PEM format. It does with node:crypto what the
// Capgo CLI does (C/src/api/crypto.ts:17 generateSessionKey, :35
// encryptSource, :79 encryptChecksumV3, :44 decryptSource), the same calls
// with the same padding, so that this package and the CLI's own crypto are
// checked against each other in both directions. Its input on stdin is a
// session_key made by this package; it prints one JSON object.
const nodeInterop = `
const fs = require('node:fs')
const c = require('node:crypto')
const [priv, pub] = process.argv.slice(1).map(p => fs.readFileSync(p, 'utf8'))
const padding = c.constants.RSA_PKCS1_PADDING
const key = c.randomBytes(16), iv = c.randomBytes(16)
const sessionKey = iv.toString('base64') + ':' + c.privateEncrypt({ key: priv, padding }, key).toString('base64')
const plain = Buffer.from('bundle bytes '.repeat(1000))
const cipher = c.createCipheriv('aes-128-cbc', key, iv)
const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()])
const sum = c.createHash('sha256').update(plain).digest('hex')
const checksum = c.privateEncrypt({ key: priv, padding }, Buffer.from(sum, 'hex')).toString('hex')
const ours = fs.readFileSync(0, 'utf8').trim().split(':')
const opened = c.publicDecrypt({ key: pub, padding }, Buffer.from(ours[1], 'base64'))
console.log(JSON.stringify({ sessionKey, ciphertext: ciphertext.toString('base64'), plain: plain.toString('base64'),
  sum, checksum, keyHex: key.toString('hex'), ourKeyHex: opened.toString('hex') }))
`

// TestNodeCryptoInterop checks encryption v2 against Node's crypto used as
// the CLI uses it: what Node encrypts opens here, what this package
// encrypts opens in Node. It needs node (skipped without it, except in CI,
// whose machine has it).
func TestNodeCryptoInterop(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is needed for the interop test and CI must have it")
		}
		t.Skip("node not found: the interop test with Node's crypto (as the Capgo CLI uses it) is skipped")
	}
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	privPath, pubPath := filepath.Join(dir, "key"), filepath.Join(dir, "key.pub")
	if err := os.WriteFile(privPath, PrivatePEM(k), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, PublicPEM(&k.PublicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	ours, err := NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	wire, err := ours.Wire(k)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", nodeInterop, privPath, pubPath)
	cmd.Stdin = strings.NewReader(wire)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var got struct {
		SessionKey, Ciphertext, Plain, Sum, Checksum, KeyHex, OurKeyHex string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	pub, err := ParsePublicPEM(PublicPEM(&k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := OpenSessionKey(got.SessionKey, pub)
	if err != nil || hex.EncodeToString(sk.Key[:]) != got.KeyHex {
		t.Fatalf("OpenSessionKey(node's) = %x, %v; want %s", sk.Key, err, got.KeyHex)
	}
	ct, _ := base64.StdEncoding.DecodeString(got.Ciphertext)
	plain, _ := base64.StdEncoding.DecodeString(got.Plain)
	if back, err := sk.Decrypt(ct); err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("Decrypt(node's ciphertext): %v", err)
	}
	if !bytes.Equal(sk.Encrypt(plain), ct) {
		t.Error("Encrypt differs from node's aes-128-cbc with the same key and IV")
	}
	if sum, err := OpenChecksum(got.Checksum, pub); err != nil || sum != got.Sum {
		t.Errorf("OpenChecksum(node's) = %s, %v; want %s", sum, err, got.Sum)
	}
	if got.OurKeyHex != hex.EncodeToString(ours.Key[:]) {
		t.Errorf("node's publicDecrypt of our session key = %s, want %x", got.OurKeyHex, ours.Key)
	}
	enc, err := EncryptChecksum(got.Sum, k)
	if err != nil || enc != got.Checksum {
		// PKCS#1 v1.5 type 1 padding is deterministic: the same key and
		// message give the same block as Node's privateEncrypt.
		t.Errorf("EncryptChecksum = %.32s…, %v; want node's %.32s…", enc, err, got.Checksum)
	}
}

func TestSessionKeyRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicPEM(PublicPEM(&k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivatePEM(PrivatePEM(k)); err != nil {
		t.Fatal(err)
	}
	sk, err := NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	wire, err := sk.Wire(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSessionKey(wire, pub)
	if err != nil || got != sk {
		t.Fatalf("OpenSessionKey = %v, %v; want %v", got, err, sk)
	}
	for _, plain := range [][]byte{[]byte("x"), bytes.Repeat([]byte("0123456789abcdef"), 1000), bytes.Repeat([]byte{7}, 100_003)} {
		ct := sk.Encrypt(plain)
		if len(ct)%16 != 0 || len(ct) <= len(plain) {
			t.Fatalf("ciphertext of %d bytes is %d bytes", len(plain), len(ct))
		}
		back, err := sk.Decrypt(ct)
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("Decrypt: %v (%d bytes back of %d)", err, len(back), len(plain))
		}
		// In pieces of every size, as bytes arrive from a socket.
		var out bytes.Buffer
		d := sk.Decrypter(&out)
		for i := 0; i < len(ct); i += 1 + i%37 {
			_, _ = d.Write(ct[i:min(len(ct), i+1+i%37)])
		}
		if err := d.Close(); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("streamed Decrypt: %v", err)
		}
	}
	sum := SHA256Hex([]byte("bundle"))
	enc, err := EncryptChecksum(sum, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != 512 {
		t.Fatalf("encrypted checksum has %d hex digits, want 512", len(enc))
	}
	if got, err := OpenChecksum(enc, pub); err != nil || got != sum {
		t.Fatalf("OpenChecksum = %s, %v; want %s", got, err, sum)
	}
}

func TestDecryptFailures(t *testing.T) {
	k, _ := GenerateKey()
	other, _ := GenerateKey()
	pub := &k.PublicKey
	sk, _ := NewSessionKey()
	wire, _ := sk.Wire(other)
	if _, err := OpenSessionKey(wire, pub); !errors.Is(err, ErrDecrypt) {
		t.Errorf("a session key of another key pair opened: %v", err)
	}
	for _, bad := range []string{"", "nocolon", "a:b:c", "!!:!!", strings.Repeat("A", 24) + ":AAAA"} {
		if _, err := OpenSessionKey(bad, pub); !errors.Is(err, ErrDecrypt) {
			t.Errorf("OpenSessionKey(%q) = %v", bad, err)
		}
	}
	if _, err := OpenChecksum(SHA256Hex([]byte("x")), pub); !errors.Is(err, ErrChecksumNotEncrypted) {
		t.Errorf("a plain checksum opened: %v", err)
	}
	if _, err := OpenChecksum("", pub); !errors.Is(err, ErrChecksumNotEncrypted) {
		t.Errorf("an empty checksum opened: %v", err)
	}
	enc, _ := EncryptChecksum(SHA256Hex([]byte("x")), other)
	if _, err := OpenChecksum(enc, pub); !errors.Is(err, ErrDecrypt) {
		t.Errorf("a checksum of another key opened: %v", err)
	}
	ct := sk.Encrypt([]byte("hello"))
	var wrong SessionKey
	wrong.IV = sk.IV
	if _, err := wrong.Decrypt(ct); err == nil {
		// One wrong key in 256 may pad well; this one is fixed.
		t.Log("the zero key happened to unpad")
	}
	for _, bad := range [][]byte{nil, ct[:15], ct[:len(ct)-1]} {
		if _, err := sk.Decrypt(bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Decrypt of %d bytes = %v", len(bad), err)
		}
	}
	if _, err := ParsePublicPEM(PrivatePEM(k)); err == nil {
		t.Error("a private key parsed as a public one")
	}
}
