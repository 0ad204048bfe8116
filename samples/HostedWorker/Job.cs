// Licensed under the MIT License.

using System;

namespace HostedWorker;

/// <summary>A unit of work.</summary>
internal sealed record Job(int Number, DateTimeOffset MadeAt);
