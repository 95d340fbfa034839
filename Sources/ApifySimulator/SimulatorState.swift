import Synchronization

/// The simulator's world behind a lock, shared by the HTTP handlers and the scripting API.
final class SimulatorState: Sendable {
    let world: Mutex<SimulatedWorld>

    init(world: SimulatedWorld) {
        self.world = Mutex(world)
    }
}
