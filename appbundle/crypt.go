package appbundle

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// Encryption v2 as the CLI does it (C/src/api/crypto.ts): a random
// AES-128 key and IV per bundle; the key is "encrypted" with the app's
// private key (Node's privateEncrypt with PKCS#1 v1.5 padding, which is an
// RSA signature of block type 1 over the raw bytes: Go's SignPKCS1v15
// with no hash), the bundle with AES-128-CBC and PKCS#7 padding; the
// device recovers the key with the public key (Java's Cipher
// "RSA/ECB/PKCS1Padding" in DECRYPT_MODE with a public key,
// A/CryptoCipher.java:45). The checksum of the plain zip and each
// manifest file's hash are protected the same way.

// SessionKey is one bundle's AES key and IV.
type SessionKey struct {
	Key, IV [16]byte
}

// NewSessionKey draws a fresh session key (C/src/api/crypto.ts:17).
func NewSessionKey() (SessionKey, error) {
	var sk SessionKey
	if _, err := rand.Read(sk.Key[:]); err != nil {
		return sk, fmt.Errorf("appbundle: session key: %w", err)
	}
	if _, err := rand.Read(sk.IV[:]); err != nil {
		return sk, fmt.Errorf("appbundle: session key: %w", err)
	}
	return sk, nil
}

// Wire is the session_key an /updates reply carries: base64(IV) ":"
// base64(the key signed with the private key) (C/src/api/crypto.ts:31).
func (sk SessionKey) Wire(priv *rsa.PrivateKey) (string, error) {
	enc, err := rsa.SignPKCS1v15(nil, priv, crypto.Hash(0), sk.Key[:])
	if err != nil {
		return "", fmt.Errorf("appbundle: session key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sk.IV[:]) + ":" + base64.StdEncoding.EncodeToString(enc), nil
}

// ErrDecrypt is a session key or ciphertext that does not decrypt: the
// plugin's decryptFile throws (A/CryptoCipher.java:160,
// I/CryptoCipher.swift:300).
var ErrDecrypt = errors.New("appbundle: decryption failed")

// OpenSessionKey recovers the session key of a reply's session_key with
// the app's public key (A/CryptoCipher.java:140 decryptFile,
// I/CryptoCipher.swift:235): "iv:key", both base64, a 16-byte IV and a
// 16-byte key.
func OpenSessionKey(wire string, pub *rsa.PublicKey) (SessionKey, error) {
	var sk SessionKey
	iv64, key64, ok := strings.Cut(wire, ":")
	if !ok || strings.Contains(key64, ":") {
		return sk, fmt.Errorf("%w: session key is not iv:key", ErrDecrypt)
	}
	iv, err1 := base64.StdEncoding.DecodeString(iv64)
	enc, err2 := base64.StdEncoding.DecodeString(key64)
	if err1 != nil || err2 != nil || len(iv) != len(sk.IV) {
		return sk, fmt.Errorf("%w: session key is not base64 of a 16-byte IV and a key", ErrDecrypt)
	}
	key, err := publicDecrypt(pub, enc)
	if err != nil || len(key) != len(sk.Key) {
		return sk, fmt.Errorf("%w: the session key does not open with this public key", ErrDecrypt)
	}
	copy(sk.IV[:], iv)
	copy(sk.Key[:], key)
	return sk, nil
}

// Encrypt returns plain encrypted with AES-128-CBC and PKCS#7 padding
// (C/src/api/crypto.ts:35 encryptSource).
func (sk SessionKey) Encrypt(plain []byte) []byte {
	block, _ := aes.NewCipher(sk.Key[:]) // a 16-byte key is always valid
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, len(plain)+pad)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, sk.IV[:]).CryptBlocks(out, out)
	return out
}

// Decrypt returns ciphertext decrypted (A/CryptoCipher.java:166
// decryptAesFile): an empty input, a length that is not whole blocks, a
// bad padding or an empty result fail, as they do on the device.
func (sk SessionKey) Decrypt(ciphertext []byte) ([]byte, error) {
	var out bytes.Buffer
	d := sk.Decrypter(&out)
	_, _ = d.Write(ciphertext)
	if err := d.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Decrypter decrypts a stream written to it into out.
type Decrypter struct {
	mode    cipher.BlockMode
	out     io.Writer
	pending []byte // bytes of an incomplete block, then the last block
	buf     []byte
	n       int64
	err     error
}

// Decrypter returns a streaming Decrypt writing the plaintext to out.
func (sk SessionKey) Decrypter(out io.Writer) *Decrypter {
	block, _ := aes.NewCipher(sk.Key[:])
	return &Decrypter{mode: cipher.NewCBCDecrypter(block, sk.IV[:]), out: out}
}

// Write takes the next ciphertext bytes; it never fails (errors come at
// Close), so that it can sit in an io.MultiWriter.
func (d *Decrypter) Write(p []byte) (int, error) {
	n := len(p)
	d.n += int64(n)
	d.pending = append(d.pending, p...)
	// Keep the last whole block back: it holds the padding.
	whole := (len(d.pending) - 1) / aes.BlockSize * aes.BlockSize
	if whole > 0 && d.err == nil {
		d.buf = append(d.buf[:0], d.pending[:whole]...)
		d.mode.CryptBlocks(d.buf, d.buf)
		if _, err := d.out.Write(d.buf); err != nil {
			d.err = err
		}
		d.pending = append(d.pending[:0], d.pending[whole:]...)
	}
	return n, nil
}

// Close checks and writes the last block.
func (d *Decrypter) Close() error {
	if d.err != nil {
		return d.err
	}
	if d.n == 0 || len(d.pending) != aes.BlockSize {
		return fmt.Errorf("%w: %d bytes are not whole AES blocks", ErrDecrypt, d.n)
	}
	d.mode.CryptBlocks(d.pending, d.pending)
	pad := int(d.pending[aes.BlockSize-1])
	if pad == 0 || pad > aes.BlockSize {
		return fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	for _, c := range d.pending[aes.BlockSize-pad:] {
		if int(c) != pad {
			return fmt.Errorf("%w: bad padding", ErrDecrypt)
		}
	}
	if d.n == aes.BlockSize && pad == aes.BlockSize {
		return fmt.Errorf("%w: empty decrypted data", ErrDecrypt)
	}
	_, err := d.out.Write(d.pending[:aes.BlockSize-pad])
	return err
}

// EncryptChecksum protects a hex SHA-256 with the private key in the
// CLI's V3 format, hex in and hex out (C/src/api/crypto.ts:79
// encryptChecksumV3, used for plugins from 5.30.0, 6.30.0 and 7.30.0).
func EncryptChecksum(hexSum string, priv *rsa.PrivateKey) (string, error) {
	raw, err := hex.DecodeString(hexSum)
	if err != nil {
		return "", fmt.Errorf("appbundle: checksum %.80q is not hex", hexSum)
	}
	enc, err := rsa.SignPKCS1v15(nil, priv, crypto.Hash(0), raw)
	if err != nil {
		return "", fmt.Errorf("appbundle: checksum: %w", err)
	}
	return hex.EncodeToString(enc), nil
}

// ErrChecksumNotEncrypted is a checksum that cannot be an encrypted one:
// the plugin refuses it when the app has a public key
// (A/CryptoCipher.java:255, I/CryptoCipher.swift:74).
var ErrChecksumNotEncrypted = errors.New("appbundle: checksum is not RSA-2048 encrypted")

// OpenChecksum recovers a checksum protected by EncryptChecksum (or the
// older base64 format) as the plugin does (A/CryptoCipher.java:222
// decryptChecksum): hex when it is only hex digits, else base64; exactly
// 256 bytes; the result in lower-case hex.
func OpenChecksum(s string, pub *rsa.PublicKey) (string, error) {
	var raw []byte
	var err error
	if s != "" && isHexString(s) {
		raw, err = hex.DecodeString(s)
	} else {
		raw, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil || len(raw) != 256 {
		return "", ErrChecksumNotEncrypted
	}
	plain, err := publicDecrypt(pub, raw)
	if err != nil {
		return "", fmt.Errorf("%w: the checksum does not open with this public key", ErrDecrypt)
	}
	return hex.EncodeToString(plain), nil
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// publicDecrypt recovers the message of a PKCS#1 v1.5 block-type-1
// signature with the public key: what Java's Cipher does for
// "RSA/ECB/PKCS1Padding" in DECRYPT_MODE with a public key and Node's
// publicDecrypt. Go's crypto/rsa verifies such a signature for a known
// message but does not recover an unknown one, so the public operation
// (RSAVP1, RFC 8017 5.2.2) finds the candidate and VerifyPKCS1v15 then
// checks the whole block, padding included.
func publicDecrypt(pub *rsa.PublicKey, sig []byte) ([]byte, error) {
	k := pub.Size()
	if len(sig) != k {
		return nil, ErrDecrypt
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return nil, ErrDecrypt
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	if em[0] != 0 || em[1] != 1 {
		return nil, ErrDecrypt
	}
	i := 2
	for i < k && em[i] == 0xff {
		i++
	}
	if i == k || em[i] != 0 {
		return nil, ErrDecrypt
	}
	msg := em[i+1:]
	if rsa.VerifyPKCS1v15(pub, crypto.Hash(0), msg, sig) != nil {
		return nil, ErrDecrypt
	}
	return msg, nil
}
