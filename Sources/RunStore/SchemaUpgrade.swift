/// An existing file that `RunStore.open` brought to the current schema version.
package struct SchemaUpgrade: Sendable, Equatable {
    package var fromVersion: Int32
    package var toVersion: Int32
    package var duration: Duration
}
