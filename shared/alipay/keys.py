"""RSA key pairs for Alipay: generation for dev and tests, loading from configuration.

Keys are configuration, never code: a service reads PEM text from an env var or a file. The local runner
calls `write_dev_keys(folder)` once; it creates the app's and the sandbox's key pairs if they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyPair:
    private_pem: str  # PKCS#1 ("BEGIN RSA PRIVATE KEY"), the format Alipay's tools and the official SDK use
    public_pem: str  # SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), the format Alipay's console shows


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """A fresh RSA key pair. Alipay RSA2 uses 2048-bit keys (a 344-char signature)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return KeyPair(private, public)


DEV_KEY_FILES = {
    "app": ("app_private_key.pem", "app_public_key.pem"),
    "alipay": ("alipay_private_key.pem", "alipay_public_key.pem"),
}


def write_dev_keys(folder: str | Path) -> dict[str, Path]:
    """Create (once) the dev key pairs in `folder` and return their paths.

    `app_*`: the mall's key pair (payments and the gateway sign with the private key; the sandbox knows the
    public one). `alipay_*`: the sandbox's key pair, standing in for Alipay's (the mall verifies with the
    public one). Existing files are kept, so restarts keep the same keys. Private files are mode 0600.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, (private_name, public_name) in DEV_KEY_FILES.items():
        private_path, public_path = root / private_name, root / public_name
        if not (private_path.exists() and public_path.exists()):
            pair = generate_key_pair()
            private_path.write_text(pair.private_pem)
            private_path.chmod(0o600)
            public_path.write_text(pair.public_pem)
        paths[f"{name}_private"] = private_path
        paths[f"{name}_public"] = public_path
    return paths


def load_pem(value: str = "", file: str | Path | None = "") -> str:
    """PEM text from configuration: the value itself if given, else the file's content, else ""."""
    if value.strip():
        return value.strip().replace("\\n", "\n")
    if file:
        return Path(file).read_text().strip()
    return ""
