/// A misbehaviour the simulator applies to the next matching request, for tests of the client's resilience.
package enum SimulatedFault: Sendable, Equatable {
    /// Answer with this status and an Apify error body; `retryAfter` becomes the `Retry-After` header.
    case status(Int, retryAfter: String? = nil)
    /// Close the connection without answering.
    case reset
    /// Answer normally, after a delay.
    case delay(Duration)
    /// Answer with this body verbatim (malformed JSON, an HTML page, an empty body, …).
    case body(status: Int, contentType: String, bytes: [UInt8])
    /// Answer a run list with a real page that has this flaw.
    case quirk(PageQuirk)

    /// Flaws of a run list page that a lenient, careful client must survive.
    package enum PageQuirk: Sendable, Equatable {
        /// The first item appears twice.
        case duplicateItem
        /// The items come in reverse `startedAt` order.
        case reversedOrder
        /// `count` disagrees with the items.
        case wrongCount
        /// `total` is smaller than the list.
        case shrunkTotal
        /// The first item carries an extra string field of this many bytes.
        case hugeField(Int)
        /// The first item's `buildNumber` holds bytes that are not UTF-8.
        case invalidUTF8
    }

    /// Which requests a fault applies to.
    package enum Target: Sendable, Equatable {
        case any
        /// `GET /v2/actor-tasks/:id/runs` without a `status` filter (a forward read).
        case runList
        /// `GET /v2/actors/:id/runs` without a `status` filter.
        case actorRunList
        /// `GET /v2/actor-runs` without a `status` filter.
        case accountRunList
        /// `GET /v2/actor-tasks/:id/runs` filtered by `status` (the unfinished-runs query, which a
        /// pass sends beside its forward read: a fault aimed at one of the two meets that one alone).
        case filteredRunList
        /// `GET /v2/actors/:id/runs` filtered by `status`.
        case filteredActorRunList
        /// `GET /v2/actor-runs` filtered by `status`.
        case filteredAccountRunList
        /// `GET /v2/actor-runs/:id`.
        case run
        /// `GET /v2/actor-tasks`.
        case taskList
        /// `GET /v2/actor-tasks/:id`.
        case task
        /// `GET /v2/actors/:id`.
        case actor
        /// `GET /v2/datasets/:id`.
        case dataset
    }
}
