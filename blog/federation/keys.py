"""The blog's RSA key pair, kept in the instance folder and created (mode 0600) on first use."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..config import private_folder

KEY_FILE = "federation-key.pem"


def load_private_key(instance: Path) -> rsa.RSAPrivateKey:
    """The blog's private key, generated and stored privately if there is none yet."""
    path = instance / KEY_FILE
    if not path.exists():
        create_key_file(instance, path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise RuntimeError(f"{path} does not hold an RSA private key.")
    return key


def create_key_file(instance: Path, path: Path) -> None:
    """Write a new key privately, then link it into place so concurrent workers share one."""
    private_folder(instance)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = instance / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """The public half as the PEM text an actor document carries."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
