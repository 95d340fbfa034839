/// An existing file that `RunStore.open` brought to the current schema version.
package struct SchemaUpgrade: Sendable, Equatable {
    package let fromVersion: Int32
    package let toVersion: Int32
    package let duration: Duration
}
