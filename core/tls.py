"""TLS for MQTT connections: the client context built from ``MqttSettings``, and what a failed handshake means.

Shared by ingest and the simulator's publisher, which both connect to the broker.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from core.settings import MqttSettings

__all__ = ["TlsConfigError", "client_context", "explain"]


class TlsConfigError(ValueError):
    """A TLS file named in the settings cannot be used: fix the settings, retrying will not help."""


def client_context(mqtt: MqttSettings) -> ssl.SSLContext | None:
    """A verifying client context for ``mqtt``, or None when TLS is off.

    Raises ``TlsConfigError`` naming the setting whose file is missing or unreadable.
    """
    if not mqtt.tls:
        return None
    for name in ("tls_ca_file", "tls_cert_file", "tls_key_file"):
        path = getattr(mqtt, name)
        if path and not Path(path).is_file():
            raise TlsConfigError(f"mqtt.{name}: no such file: {path}")
    try:
        # Certificates are always verified; TLS 1.2 is the oldest Mosquitto 2 offers.
        context = ssl.create_default_context(cafile=mqtt.tls_ca_file or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = mqtt.tls_check_hostname
        if mqtt.tls_cert_file:
            context.load_cert_chain(mqtt.tls_cert_file, mqtt.tls_key_file)
    except ssl.SSLError as exc:
        # The message never holds key material, only which file and OpenSSL's reason.
        raise TlsConfigError(
            f"mqtt TLS files (CA {mqtt.tls_ca_file or 'system'}, certificate "
            f"{mqtt.tls_cert_file or 'none'}) are not usable PEM: {exc.reason or exc}"
        ) from exc
    return context


def explain(exc: ssl.SSLError, host: str, port: int) -> str:
    """One line saying why the TLS handshake with the broker failed and which setting to look at."""
    where = f"TLS handshake with the broker at {host}:{port} failed"
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
            return f"{where}: its certificate does not name {host!r} ({reason}); connect by a name it carries (mqtt.host)"
        return f"{where}: its certificate is not trusted ({reason}); check mqtt.tls_ca_file"
    return f"{where}: {exc.reason or exc}"
