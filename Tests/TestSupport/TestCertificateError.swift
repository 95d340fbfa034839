/// Why `TestCertificate` could not be made.
package enum TestCertificateError: Error {
    case opensslFailed(Int32)
}
