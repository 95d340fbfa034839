import Foundation
import Synchronization

/// What a child process wrote, appended from the pipes' handlers.
final class CapturedOutput: Sendable {
    let data = Mutex<(out: Data, err: Data)>((Data(), Data()))
}
