import Foundation
import NIOSSL

/// One line for a TLS failure, without what BoringSSL's errors carry beside their reason (its
/// numeric codes and the source paths of the build that raised them).
package enum TLSFailure {
    /// The message for a TLS error, or nil when `error` is not one.
    package static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let boringSSLError): return "TLS handshake failed: " + explain(boringSSLError)
            case .uncleanShutdown: return "the TLS connection was cut without a TLS close (unclean shutdown)"
            case .shutdownFailed(let boringSSLError): return "TLS shutdown failed: " + explain(boringSSLError)
            default: return "TLS error: \(error)"
            }
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "TLS handshake failed: the server's certificate is not valid for the host of apiBaseUrl"
        case let error as NIOSSLExtraError:
            return "TLS error: " + oneLine(String(describing: error))
        case let error as BoringSSLError:
            return "TLS error: " + explain(error)
        default:
            return nil
        }
    }

    /// The reasons of BoringSSL's error stack (`CERTIFICATE_VERIFY_FAILED`), with advice for the
    /// ones a user can act on.
    static func explain(_ error: BoringSSLError) -> String {
        let stack: [BoringSSLInternalError]
        switch error {
        case .sslError(let errors), .unknownError(let errors), .invalidSNIName(let errors),
            .failedToSetALPN(let errors):
            stack = errors
        default:
            return "\(error)"
        }
        let reasons = stack.map { reason(of: String(describing: $0)) }
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED); if a proxy or a "
                + "corporate CA signs it, name that CA's PEM file in \"caFile\""
        }
        if reasons.contains("WRONG_VERSION_NUMBER") {
            return "the server does not speak TLS (WRONG_VERSION_NUMBER); check the scheme and port of apiBaseUrl"
        }
        return reasons.isEmpty ? "\(error)" : reasons.joined(separator: ", ")
    }

    /// `CERTIFICATE_VERIFY_FAILED` from `Error: 268435581 error:1000007d:SSL routines:
    /// OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /path/to/handshake.cc:393`.
    package static func reason(of description: String) -> String {
        var text = Substring(description)
        if let at = text.range(of: " at ", options: .backwards) { text = text[..<at.lowerBound] }
        if let colon = text.lastIndex(of: ":") { text = text[text.index(after: colon)...] }
        return oneLine(String(text))
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}
