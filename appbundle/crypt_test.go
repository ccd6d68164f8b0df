package appbundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"testing"
)

// testKey is one RSA-2048 key pair for the package's tests (generating one
// takes a while).

// contract is the plugin's own interoperability vectors, made with Node's
// crypto.privateEncrypt as the CLI encrypts (capacitor-updater e235d09,
// native-contract-tests/crypto-rsa.json, read by A/../RsaContractTest.java
// and I/../RsaContractTests.swift).
type contract struct {
	PublicKeyPem     string `json:"publicKeyPem"`
	RSAPublicDecrypt []struct {
		ID     string                         `json:"id"`
		Input  struct{ CiphertextHex string } `json:"input"`
		Expect struct{ PlaintextHex string }  `json:"expect"`
	} `json:"rsaPublicDecrypt"`
	DecryptChecksum []struct {
		Input  struct{ ChecksumHex string }  `json:"input"`
		Expect struct{ DecryptedHex string } `json:"expect"`
	} `json:"decryptChecksum"`
	DecryptChecksumInvalid []struct {
		ID    string                       `json:"id"`
		Input struct{ ChecksumHex string } `json:"input"`
	} `json:"decryptChecksumInvalid"`
	CalcKeyID []struct {
		Input  struct{ PublicKeyPem string } `json:"input"`
		Expect struct{ KeyID string }        `json:"expect"`
	} `json:"calcKeyId"`
}

func TestPluginContractVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/crypto-rsa.json")
	if err != nil {
		t.Fatal(err)
	}
	var c contract
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicPEM([]byte(c.PublicKeyPem))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range c.RSAPublicDecrypt {
		ct, _ := hex.DecodeString(v.Input.CiphertextHex)
		got, err := publicDecrypt(pub, ct)
		if err != nil || hex.EncodeToString(got) != v.Expect.PlaintextHex {
			t.Errorf("%s: got %x, %v; want %s", v.ID, got, err, v.Expect.PlaintextHex)
		}
	}
	for _, v := range c.DecryptChecksum {
		if got, err := OpenChecksum(v.Input.ChecksumHex, pub); err != nil || got != v.Expect.DecryptedHex {
			t.Errorf("OpenChecksum = %s, %v; want %s", got, err, v.Expect.DecryptedHex)
		}
	}
	for _, v := range c.DecryptChecksumInvalid {
		if _, err := OpenChecksum(v.Input.ChecksumHex, pub); err == nil {
			t.Errorf("%s: OpenChecksum accepted it", v.ID)
		}
	}
	for _, v := range c.CalcKeyID {
		if got := KeyID([]byte(v.Input.PublicKeyPem)); got != v.Expect.KeyID {
			t.Errorf("KeyID = %q, want %q", got, v.Expect.KeyID)
		}
	}
	if len(c.RSAPublicDecrypt) == 0 || len(c.CalcKeyID) == 0 {
		t.Fatal("the contract file holds no vectors")
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
