"""The starter pattern library: example requests for eight agents, and a held-out set.

Written for this project. :func:`starter_patterns` gives the requests a fresh
router is seeded with, each labelled with the agent and task type that should
handle it and a short description to show for it. :func:`held_out_examples`
gives different requests, written separately (new situations, not rewordings
of the starter ones), used only to measure how well an embedder plus router
generalise; they must never be added to the starter library.

Agents and their task types:

=============  ==========================================================
Coder          code_generation, refactoring, debugging
Researcher     literature_review, technology_comparison, explanation
Tester         unit_testing, integration_testing, test_planning
Reviewer       code_review, readability_review, documentation_review
Architect      system_design, data_modeling, migration_planning
Security       vulnerability_audit, threat_modeling, access_control
Performance    profiling, optimization, memory_analysis
MlDeveloper    model_training, data_preparation, model_evaluation
=============  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ruvllm_web.text.encoder.folder import FolderEncoder
from ruvllm_web.text.lexical import TextEmbedder

STARTER_AGENTS = ("Coder", "Researcher", "Tester", "Reviewer", "Architect", "Security", "Performance", "MlDeveloper")


@dataclass(frozen=True)
class StarterPattern:
    """One starter request: its text, who should handle it, and a short label."""

    text: str
    agent: str
    task_type: str
    description: str


class PatternTarget(Protocol):
    """Anything patterns can be added to: :class:`~ruvllm_web.HnswRouter`, :class:`~ruvllm_web.IntelligentLLM`."""

    @property
    def dim(self) -> int: ...

    def add_pattern(self, embedding: object, agent: str, task_type: str, description: str = "") -> int: ...


@dataclass(frozen=True)
class LabelledRequest:
    """One held-out request and the agent and task type that should handle it."""

    text: str
    agent: str
    task_type: str


# agent -> task type -> ((request, description), ...)
_STARTER: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "Coder": {
        "code_generation": (
            ("Write a function that parses ISO 8601 dates into datetime objects", "parse ISO dates"),
            ("Implement a linked list class with insert, delete and search methods", "implement linked list"),
            ("Create a REST endpoint that returns the list of active users as JSON", "write REST endpoint"),
            ("Generate a Python script that renames all photos in a folder by their date", "write rename script"),
            ("Add a command line flag --verbose to the CLI tool", "add CLI flag"),
            ("Code a React component that shows a paginated table of orders", "build React component"),
            ("Implement the retry with exponential backoff helper for the HTTP client", "implement retry helper"),
            ("Write a SQL query that counts orders per customer for last month", "write SQL query"),
            ("Build a small TypeScript module to debounce user input", "write debounce module"),
            ("Implement a function to merge two sorted arrays", "implement array merge"),
            ("Write the handler that uploads a file to S3 and returns its URL", "write upload handler"),
            ("Create a Go struct and methods for a shopping cart with totals", "implement shopping cart"),
            ("Implement a parser for the config file format in Rust", "implement parser"),
            ("Write a class that wraps the payments API client with typed methods", "write API wrapper"),
            ("Scaffold a new Express app with routes for login and logout", "scaffold app"),
            ("Write code to read the Excel sheet and insert the rows into the database", "import spreadsheet"),
            ("Write a Python class for a thread safe in-memory cache with expiry", "write cache class"),
            ("Implement pagination for the products API using cursors", "implement pagination"),
            ("Create a function that validates an email address and a phone number", "write validators"),
            ("Write a Node.js script that calls the weather API and prints a summary", "write API script"),
            ("Implement drag and drop reordering in the task list UI", "implement drag and drop"),
            ("Code the login form with client side validation", "code login form"),
            ("Write a Java method that reads a file line by line and counts words", "write word count"),
        ),
        "refactoring": (
            ("Refactor this 300 line function into smaller functions", "split long function"),
            ("Clean up the duplicated validation code in the signup and login handlers", "remove duplication"),
            ("Rename the confusing variables in the billing module and extract constants", "rename and extract"),
            ("Convert these callbacks to async/await", "callbacks to async"),
            ("Restructure the utils folder so each module has one responsibility", "restructure modules"),
            ("Replace the long if/else chain with a lookup table or polymorphism", "replace conditionals"),
            ("Extract the database access code into a repository class", "extract repository"),
            ("Move the hard-coded configuration values into a settings file", "extract configuration"),
            ("Simplify this nested loop logic and make it more idiomatic Python", "simplify logic"),
            ("Migrate this class component to React hooks", "class to hooks"),
            ("Tidy up this messy module and split it into clear functions without changing behaviour", "tidy module"),
            ("Apply dependency injection to the order service so it is easier to change", "introduce DI"),
            ("Rewrite this jQuery code in plain modern JavaScript", "modernise code"),
            ("Break this god object into smaller classes with clear responsibilities", "split god object"),
            ("Remove the dead code and unused imports from the project", "remove dead code"),
            ("Refactor the test helpers so they can be reused across modules", "reusable helpers"),
            ("Make this code more functional: replace mutation with map and filter", "functional style"),
            ("Introduce an interface so we can swap the storage backend", "introduce interface"),
            ("Convert the project from JavaScript to TypeScript step by step", "JS to TS"),
            ("Reorganize the package layout and fix the circular imports", "fix circular imports"),
        ),
        "debugging": (
            ("Fix the bug where the app crashes when the cart is empty", "fix crash"),
            ("Why does this code throw a NullPointerException on startup?", "diagnose exception"),
            ("Debug the off-by-one error in the pagination logic", "fix off-by-one"),
            ("The function returns undefined instead of the user object, help me find why", "find wrong return"),
            ("I get TypeError: cannot read properties of undefined, how do I fix it", "fix TypeError"),
            ("The date shows one day early for users in other time zones, fix it", "fix timezone bug"),
            ("My loop never terminates, find the bug", "fix infinite loop"),
            ("Segmentation fault when freeing the buffer twice in the C parser", "fix segfault"),
            ("The build fails with an import error after upgrading the package", "fix import error"),
            ("Stack trace points to line 42, what is wrong with this code", "read stack trace"),
            ("The API returns 500 errors intermittently, find and fix the cause", "fix server error"),
            ("This regex does not match the emails it should, what is the bug?", "fix regex bug"),
            ("Race condition: two threads update the counter and values get lost, fix it", "fix race condition"),
            ("The button click does nothing, why is my handler not called?", "handler not firing"),
            ("Getting a 'list index out of range' error in the parser, fix it", "fix index error"),
            ("The state does not update after the fetch returns, help me debug", "stale state bug"),
            ("Why are my unit conversions wrong by a factor of 1000?", "wrong calculation"),
            ("Deadlock when two goroutines wait on each other, find the bug", "fix deadlock"),
            ("The CSV export has garbled characters, fix the encoding bug", "fix encoding bug"),
        ),
    },
    "Researcher": {
        "literature_review": (
            ("Find recent papers on retrieval augmented generation", "survey RAG papers"),
            ("Summarize the state of the art in approximate nearest neighbor search", "survey ANN search"),
            ("What does the research literature say about code review effectiveness?", "review research findings"),
            ("Collect sources and citations about federated learning privacy", "gather citations"),
            ("Give me an overview of published work on LoRA and parameter efficient fine tuning", "survey PEFT work"),
            ("Survey academic studies on developer productivity and pair programming", "survey studies"),
            ("Find articles and blog posts about WebAssembly adoption in industry", "find articles"),
            ("Read the HNSW paper and summarize its key ideas", "summarize paper"),
            ("Look up what the experts recommend about microservices granularity", "gather expert opinion"),
            ("Compile a reading list on distributed consensus algorithms", "make reading list"),
            ("What are the most cited papers about large language model evaluation?", "find cited papers"),
            ("Summarize the findings of recent studies on remote work and software teams", "summarize studies"),
            ("Research the history and current state of quantum error correction", "research topic history"),
            ("Find benchmarks and papers that evaluate code generation models", "find evaluation papers"),
            (
                "What is known from research about the accuracy of sentiment analysis on tweets?",
                "research accuracy findings",
            ),
            ("Summarize the key arguments in the literature for and against static typing", "summarize debate"),
            ("Find the original sources for the claim that most bugs come from few files", "trace a claim"),
            ("Review the academic work on homomorphic encryption performance", "review academic work"),
            ("Give me a summary of conference talks about observability this year", "summarize talks"),
            ("Which books and papers should I read to learn about information retrieval?", "reading recommendations"),
        ),
        "technology_comparison": (
            ("Compare PostgreSQL and MongoDB for an analytics workload", "compare databases"),
            ("Which is better for our team, React or Vue or Svelte?", "compare frameworks"),
            ("Pros and cons of Kafka versus RabbitMQ", "compare message brokers"),
            ("Evaluate the alternatives to Redux for state management", "evaluate alternatives"),
            ("Research which vector database libraries support filtering", "research libraries"),
            ("What are the differences between gRPC and GraphQL?", "compare API styles"),
            ("Compare the pricing and features of the major cloud providers for GPUs", "compare cloud offers"),
            ("Investigate which open source license fits our project", "research licenses"),
            ("Is Rust or Go a better choice for a command line tool?", "compare languages"),
            ("Find out which charting libraries work offline in the browser", "research chart libraries"),
            (
                "Which cloud object storage is cheapest for archiving backups? Research the options",
                "research storage options",
            ),
            ("Compare Elasticsearch with OpenSearch and Meilisearch for full text search", "compare search engines"),
            ("What are the trade-offs between SQL and NoSQL databases?", "SQL vs NoSQL"),
            ("Compare AWS Lambda, Google Cloud Functions and Azure Functions", "compare serverless"),
            ("Which is more mature for production, Deno or Bun?", "compare runtimes"),
            ("What are the alternatives to Jupyter notebooks for data science teams?", "find alternatives"),
            ("Compare the licensing, community and maturity of three ORM libraries", "compare ORMs"),
            ("Research the market of feature flag services and their prices", "research market"),
            ("Pros and cons of using a monorepo versus many repositories", "monorepo pros and cons"),
            (
                "Is WebGPU supported well enough in browsers today? Research the current status",
                "research support status",
            ),
        ),
        "explanation": (
            ("Explain how the transformer attention mechanism works", "explain attention"),
            ("What is the CAP theorem and why does it matter?", "explain CAP theorem"),
            ("Help me understand how garbage collection works in the JVM", "explain garbage collection"),
            ("Explain the difference between processes and threads in simple terms", "explain processes vs threads"),
            ("How does HTTPS actually establish a secure connection?", "explain TLS handshake"),
            ("What is eventual consistency? Give an intuitive explanation", "explain consistency"),
            ("Describe how a B-tree index speeds up lookups", "explain B-trees"),
            ("Teach me the basics of how DNS resolution works", "explain DNS"),
            ("Background reading: what problem does a CRDT solve?", "explain CRDTs"),
            ("Why do people say that premature abstraction is harmful? Explain the reasoning", "explain a principle"),
            ("What is a hash table and why are lookups constant time on average?", "explain hash tables"),
            ("Explain in plain words how public key cryptography works", "explain public key crypto"),
            ("How does a compiler turn source code into machine code?", "explain compilers"),
            ("What does the term idempotent mean for an HTTP API?", "explain a term"),
            ("Explain what a vector embedding is and how similarity search uses it", "explain embeddings"),
            ("What does Big O notation mean? Explain with examples", "explain Big O"),
            ("How does a blockchain reach agreement without a central server?", "explain consensus"),
            ("Explain the idea behind MapReduce", "explain MapReduce"),
            ("What is the difference between authentication and authorization, conceptually?", "explain auth concepts"),
            ("Why is floating point arithmetic not exact? Explain the concept", "explain floating point"),
        ),
    },
    "Tester": {
        "unit_testing": (
            ("Write unit tests for the password strength checker", "unit test checker"),
            ("Add pytest tests covering the edge cases of the date parser", "pytest edge cases"),
            ("Create Jest tests for the shopping cart reducer", "Jest reducer tests"),
            ("Mock the payment gateway and test the checkout function in isolation", "mock and unit test"),
            ("Increase test coverage of the utils module to 90 percent", "raise coverage"),
            ("Write property based tests with hypothesis for the sorting function", "property tests"),
            ("Add a regression test for the bug we fixed in the invoice totals", "regression test"),
            ("Test that the parser raises a clear error on malformed input", "test error handling"),
            ("Write table driven tests in Go for the URL validator", "table driven tests"),
            ("Add assertions for the boundary values of the discount calculation", "boundary value tests"),
            ("Write tests with fixtures for the user repository class", "tests with fixtures"),
            ("Test every branch of the tax calculation with unit tests", "branch coverage tests"),
            ("Add snapshot tests for the button component", "snapshot tests"),
            ("Write unit tests for the string formatting utilities", "unit test utilities"),
            ("Add test cases for invalid input to the registration validator", "invalid input tests"),
            ("Mock the file system in the tests for the backup function", "mock file system"),
            ("Our coverage report shows the error branches are untested, add tests", "cover error branches"),
            ("Write JUnit tests for the interest calculation service", "JUnit tests"),
            ("Use a fake HTTP server to unit test the API client", "fake server tests"),
            ("Write tests first for the new discount rules, TDD style", "test-driven development"),
        ),
        "integration_testing": (
            ("Write an integration test that runs the API against a real test database", "API integration test"),
            ("Create end to end tests with Playwright for the signup flow", "end to end test"),
            ("Set up a Cypress test that logs in and places an order", "browser e2e test"),
            ("Test the interaction between the queue consumer and the email service", "service integration test"),
            ("Spin up docker compose in CI and run the integration test suite", "CI integration tests"),
            ("Add contract tests between the frontend and the orders API", "contract tests"),
            ("Verify the whole import pipeline end to end with sample files", "pipeline e2e test"),
            ("Our end to end tests are flaky, make them deterministic", "fix flaky tests"),
            ("Test that the mobile app syncs correctly with the backend after going offline", "sync test"),
            ("Write smoke tests that run after every deployment", "smoke tests"),
            ("Write an automated test that exercises the REST API with real HTTP calls", "API test"),
            ("Run the end to end suite against staging and report failing tests", "e2e on staging"),
            ("Test that the service and the database work together after the migration", "service and DB test"),
            ("Write an end to end test for the checkout with a test credit card", "checkout e2e"),
            ("Test the login flow across Chrome, Firefox and Safari automatically", "cross-browser tests"),
            ("Set up test containers for Postgres and Redis in the integration tests", "test containers"),
            ("Automate the UI test for creating and deleting a project", "UI automation"),
            ("Verify the data flows correctly from the ingestion service to the reports", "data flow test"),
            ("Check that the mobile app and the API agree on the response format", "compatibility test"),
            ("Add a test that the whole system recovers after the database restarts", "recovery test"),
        ),
        "test_planning": (
            ("Write a test plan for the new checkout feature", "write test plan"),
            ("What test cases should we cover for the file upload feature?", "list test cases"),
            ("Design a QA strategy for the mobile release", "QA strategy"),
            ("Which parts of the system lack tests? Propose what to test first", "find test gaps"),
            ("Create acceptance criteria and test scenarios for the search page", "acceptance scenarios"),
            ("Plan manual exploratory testing for the admin dashboard", "exploratory test plan"),
            ("Set up the testing pyramid for our new service: unit, integration, e2e", "testing pyramid"),
            ("Define the regression test checklist before the release", "regression checklist"),
            ("How should we test the migration from the old billing system?", "migration test approach"),
            ("Write Gherkin scenarios for the password reset feature", "Gherkin scenarios"),
            ("What edge cases and negative tests are we missing for the login feature?", "missing test cases"),
            ("Prepare a test matrix of browsers and devices for the release", "test matrix"),
            ("Estimate the testing effort and risks for the new payment provider", "test effort estimate"),
            ("Review our test suite and suggest how to test the search feature better", "improve test approach"),
            ("What should we test before we release version 2.0?", "release test scope"),
            ("Define the entry and exit criteria for the QA phase", "QA criteria"),
            ("Prioritize test cases by risk for the banking module", "risk-based testing"),
            ("Create a test plan covering functional and non-functional requirements", "full test plan"),
            ("How do we organize user acceptance testing with the customer?", "UAT planning"),
            ("Write test scenarios for the notification settings page", "scenario list"),
        ),
    },
    "Reviewer": {
        "code_review": (
            ("Review this pull request and point out problems", "review pull request"),
            ("Can you review my code before I merge it?", "pre-merge review"),
            ("Look over this diff and tell me if the logic is correct", "review diff"),
            ("Give feedback on my implementation of the LRU cache", "implementation feedback"),
            ("Does this change handle all the error cases? Please review", "review error handling"),
            ("Review the changes to the authentication middleware for mistakes", "review middleware change"),
            ("Critique this design of the plugin interface in my PR", "critique interface"),
            ("Check this patch for regressions and missing edge cases", "check patch"),
            ("Second pair of eyes on this commit please, anything I missed?", "second opinion"),
            ("Review the code quality of the new reporting module", "quality review"),
            ("Review my changes to the sync function, is anything wrong or risky?", "review risky change"),
            ("Would you approve this pull request? Leave review comments", "approve or comment"),
            ("Code review the new endpoint before it goes to production", "pre-release review"),
            ("Review this code for bugs and bad practices", "bug and practice review"),
            ("Look at my pull request and check the tests are meaningful", "review tests in PR"),
            ("Please review the concurrency changes in this merge request", "review concurrency change"),
            ("Any problems with how this PR handles null values?", "review null handling"),
            ("Give an honest code review of my side project", "honest review"),
            ("Review the SQL migration in this pull request before we merge", "review migration PR"),
            ("Check my refactoring did not change behaviour, review the diff", "review refactor diff"),
        ),
        "readability_review": (
            ("Is this code readable? Suggest better names", "naming review"),
            ("Does this module follow our style guide and conventions?", "style guide check"),
            ("Point out code smells in this class", "find code smells"),
            ("Review the readability of these SQL queries", "readability review"),
            ("Are the comments in this file helpful or just noise?", "comment review"),
            ("Check if this function is too complex and hard to follow", "complexity review"),
            ("Give style feedback on my first Rust program, is it idiomatic?", "idiom review"),
            ("Review the consistency of error messages across the CLI", "consistency review"),
            ("Is the structure of this component easy to maintain?", "maintainability review"),
            ("Lint-style review: formatting, naming, dead code", "lint-style review"),
            ("Suggest how to make this code cleaner and easier to understand", "clarity suggestions"),
            ("Is this function doing too many things? Review its design and naming", "single responsibility review"),
            ("Review the formatting and naming conventions in this Python file", "conventions review"),
            ("Are there unclear abbreviations or magic numbers in this code?", "magic numbers review"),
            ("Does this code follow clean code principles?", "clean code review"),
            ("Review this for readability: are the nested conditionals too deep?", "nesting review"),
            ("Check the naming in this API: are the method names consistent?", "API naming review"),
            ("Is the intent of this function obvious from reading it?", "intent review"),
            ("Give feedback on the style of my Go code compared to common practice", "Go style review"),
            ("Review whether the classes in this package are well organized", "organization review"),
        ),
        "documentation_review": (
            ("Review the README and tell me what is unclear", "review README"),
            ("Proofread the API documentation for the payments endpoint", "proofread API docs"),
            ("Check that the docstrings match what the functions actually do", "check docstrings"),
            ("Review my design document and leave comments", "review design doc"),
            ("Is the changelog entry for this release accurate and complete?", "review changelog"),
            ("Give feedback on the onboarding guide for new developers", "review guide"),
            ("Review the tutorial for errors and missing steps", "review tutorial"),
            ("Check the commit messages in this branch for clarity", "review commit messages"),
            ("Are the examples in the docs still correct after the API change?", "verify doc examples"),
            ("Review the wording of the error messages shown to users", "review user messages"),
            ("Read through the user manual and point out mistakes", "review manual"),
            ("Review the comments and docstrings in this module for accuracy", "review docstrings"),
            ("Does this documentation explain the configuration options well enough?", "review config docs"),
            ("Proofread my blog post about our new feature", "proofread post"),
            ("Review the help text of the command line tool for clarity", "review help text"),
            ("Check the API reference for missing parameters and wrong types", "review API reference"),
            ("Review the runbook for the on-call team and flag gaps", "review runbook"),
            ("Is the pull request description clear enough for reviewers?", "review PR description"),
            ("Review the spelling and grammar in the user-facing docs", "spelling and grammar"),
            ("Give feedback on the structure of our developer documentation site", "review docs structure"),
        ),
    },
    "Architect": {
        "system_design": (
            ("Design the architecture for a real time chat application", "design chat system"),
            ("How should we structure a multi tenant SaaS backend?", "multi-tenant design"),
            ("Propose a microservices architecture for the e-commerce platform", "microservices design"),
            ("Design an event driven system for order processing", "event-driven design"),
            ("Draw the high level components and how they communicate for the video platform", "component diagram"),
            ("Should this be a monolith or split into services? Recommend an architecture", "monolith or services"),
            ("Design a scalable notification system that sends email, SMS and push", "notification system"),
            ("Plan the system design for an offline first mobile app with sync", "offline-first design"),
            ("Design the caching layer and CDN strategy for a global news site", "caching architecture"),
            ("What architecture would you use for a plugin system in our editor?", "plugin architecture"),
            ("What is a good architecture for a search service with millions of documents?", "search architecture"),
            ("Design the backend for a multiplayer game with matchmaking", "game backend design"),
            ("Design how the frontend, API gateway and services fit together", "overall architecture"),
            ("Choose between a message queue and direct calls between our services", "integration style"),
            ("Design a payment system that handles retries and is idempotent", "payment system design"),
            ("How should we architect a data platform for analytics and reporting?", "data platform architecture"),
            ("Design the components for a file storage service like Dropbox", "file storage design"),
            ("What is a good high availability setup for our API across data centers?", "high availability design"),
            ("Design a rate limiter service that works across many servers", "distributed rate limiter"),
            ("Sketch the architecture of a workflow engine with scheduled jobs", "workflow engine design"),
            ("Decide the boundaries between our services and what each one owns", "service boundaries"),
        ),
        "data_modeling": (
            ("Design the database schema for a library management system", "library schema"),
            ("Model the entities and relationships for a booking platform", "entity model"),
            ("How should we model users, teams and permissions in the database?", "permissions model"),
            ("Normalize this schema and define the foreign keys", "normalize schema"),
            ("Design the data model for storing time series sensor readings", "time series model"),
            ("Choose the partition key and table design for DynamoDB", "NoSQL table design"),
            ("Define the domain model and bounded contexts for the insurance system", "domain model"),
            ("What is the right schema for versioned documents with history?", "versioned schema"),
            ("Design an ER diagram for the school enrolment system", "ER diagram"),
            ("Design the API resources and their relationships for the public API", "API resource model"),
            ("Design tables for customers, orders, products and invoices", "commerce schema"),
            ("How should we model a graph of followers in a social network database?", "social graph model"),
            ("Design the schema for an audit log that records every change", "audit log schema"),
            ("Design a schema for a multi language content management system", "CMS schema"),
            ("Model products with variants, prices and stock levels", "product catalog model"),
            ("What keys and indexes should this relational schema have?", "keys and indexes"),
            ("Design the event schema for our event sourcing system", "event schema"),
            ("Create a star schema for the sales data warehouse", "star schema"),
            ("Model subscriptions, plans and billing periods", "subscription model"),
        ),
        "migration_planning": (
            ("Plan the migration from our monolith to microservices", "monolith migration"),
            ("How do we move from on-premise servers to the cloud?", "cloud migration"),
            ("Create a roadmap to replace the legacy Perl system", "legacy replacement roadmap"),
            ("Plan a zero downtime database migration to a new schema", "zero-downtime migration"),
            ("Strategy for upgrading the whole codebase from Python 2 to Python 3", "language upgrade plan"),
            ("Plan the move from REST to an event bus without breaking clients", "integration migration"),
            ("How should we split the shared database between the teams?", "database split plan"),
            ("Design a strangler fig approach for the old billing module", "strangler fig plan"),
            ("Plan versioning and deprecation of the v1 API", "API deprecation plan"),
            ("Outline the phases for migrating to Kubernetes", "Kubernetes migration"),
            ("Plan the rollout of the new architecture in stages with a rollback path", "staged rollout plan"),
            ("How can we migrate the data warehouse to the cloud without losing data?", "warehouse migration"),
            ("Plan the transition from a single region to a multi region deployment", "multi-region plan"),
            ("Plan how to move the frontend from AngularJS to a modern framework", "frontend migration plan"),
            ("How do we consolidate three legacy databases into one?", "database consolidation"),
            (
                "Plan the cutover from the old authentication system to the new identity provider",
                "identity cutover plan",
            ),
            ("Create a migration plan with milestones for moving services to containers", "containerization plan"),
            ("How should we phase the rewrite of the reporting system without a big bang?", "incremental rewrite plan"),
            ("Plan the data migration from the old CRM to the new one", "CRM data migration"),
            ("Design the backward compatible transition to the new message format", "format transition"),
        ),
    },
    "Security": {
        "vulnerability_audit": (
            ("Check this code for SQL injection vulnerabilities", "SQL injection audit"),
            ("Audit the web app for XSS and CSRF issues", "XSS/CSRF audit"),
            ("Scan our dependencies for known CVEs", "dependency CVE scan"),
            ("Is this file upload handler vulnerable to path traversal?", "path traversal check"),
            ("Review the code for insecure deserialization", "deserialization audit"),
            ("Run a security audit on the login and session handling", "session audit"),
            ("Find hard-coded secrets and API keys in the repository", "secret scan"),
            ("Is our use of eval exploitable by an attacker?", "injection risk"),
            ("Check the server configuration for missing security headers and TLS problems", "configuration audit"),
            ("Pen test the public API for broken authentication", "API pen test"),
            ("Is this endpoint vulnerable to an attacker? Do a security review", "endpoint security review"),
            ("Check the Docker image and Kubernetes manifests for security misconfigurations", "container audit"),
            ("Look for command injection where we pass user input to the shell", "command injection check"),
            ("Audit the authentication code for security vulnerabilities", "auth code audit"),
            ("Check whether user input is properly sanitized before rendering HTML", "sanitization check"),
            ("Are there open redirects or CORS misconfigurations in our API?", "CORS and redirect check"),
            ("Review the cryptography code: are we using weak algorithms or modes?", "crypto audit"),
            ("Run a static analysis security scan on the codebase and triage the findings", "SAST triage"),
            ("Check the XML parser for XXE vulnerabilities", "XXE check"),
            ("Find insecure direct object references in the REST API", "IDOR check"),
        ),
        "threat_modeling": (
            ("Create a threat model for the payment service", "threat model"),
            ("What are the attack vectors against our mobile app?", "attack vectors"),
            ("Do a STRIDE analysis of the new data pipeline", "STRIDE analysis"),
            ("Assess the security risks of letting users upload plugins", "risk assessment"),
            ("How could an attacker abuse the password reset flow?", "abuse cases"),
            ("Identify trust boundaries and threats in this architecture diagram", "trust boundaries"),
            ("What could a malicious insider do with access to the admin panel?", "insider threat"),
            ("Evaluate the supply chain risk of our build pipeline", "supply chain risk"),
            ("List the threats to user privacy in the analytics feature", "privacy threats"),
            ("Plan the incident response for a leaked database credential", "incident response"),
            ("What security threats should we consider before launching the public API?", "launch threats"),
            ("Analyse the risk of a malicious package in our npm dependencies", "malicious dependency risk"),
            ("What happens if an attacker steals a user's session cookie? Assess the impact", "session theft impact"),
            ("What are the security risks of our new file sharing feature?", "feature risk review"),
            ("Model the threats for an IoT device that talks to our cloud", "IoT threat model"),
            ("What would an attacker target first in our infrastructure?", "attacker targets"),
            ("Assess the risk of phishing attacks against our employees and customers", "phishing risk"),
            ("Create misuse cases for the money transfer feature", "misuse cases"),
            ("What is our exposure if the third party analytics script is compromised?", "third-party exposure"),
            ("Rank the security risks in the system by likelihood and impact", "risk ranking"),
        ),
        "access_control": (
            ("Implement secure password hashing with bcrypt or argon2", "password hashing"),
            ("Set up OAuth2 login with proper token validation", "OAuth2 setup"),
            ("Design role based access control for the admin API", "RBAC design"),
            ("How should we store and rotate API keys and secrets?", "secret management"),
            ("Add rate limiting and account lockout to stop brute force attacks", "brute force protection"),
            ("Make sure users cannot read other users' invoices by changing the id", "authorization check"),
            ("Configure the JWT expiry, signing algorithm and refresh tokens securely", "JWT hardening"),
            ("Add two factor authentication to the login", "two-factor auth"),
            ("Encrypt personal data at rest and manage the encryption keys", "encryption at rest"),
            ("Apply least privilege to the service accounts and IAM policies", "least privilege"),
            ("Lock down the admin endpoints so only administrators can call them", "restrict admin access"),
            ("Implement secure login with sessions and protect against credential stuffing", "secure login"),
            ("Set up permissions and scopes for the API tokens", "token scopes"),
            ("Protect sensitive customer data with encryption and access policies", "protect sensitive data"),
            ("Implement authorization checks on every API route", "route authorization"),
            ("Set up single sign on with SAML for enterprise customers", "SSO setup"),
            ("Store passwords safely and add a secure password reset", "safe credentials"),
            ("Limit database user privileges for the application", "database privileges"),
            ("Add attribute based access control for shared documents", "ABAC"),
            ("Rotate the leaked API key and revoke the old tokens", "key rotation"),
        ),
    },
    "Performance": {
        "profiling": (
            ("Profile the API to find why requests take two seconds", "profile slow API"),
            ("Find the bottleneck in the data import job", "find bottleneck"),
            ("Which function is using most of the CPU time? Help me read this flame graph", "read flame graph"),
            ("Measure the latency of each step of the checkout request", "measure latency"),
            ("Use cProfile to see where the script spends its time", "cProfile run"),
            ("The page takes 8 seconds to load, find out what is slow", "diagnose slow page"),
            ("Trace the slow database queries and show their execution plans", "trace slow queries"),
            ("Benchmark the old and new serializer and compare throughput", "benchmark comparison"),
            ("Why did p99 latency jump after the last deploy?", "latency regression"),
            ("Set up performance monitoring and metrics for the service", "performance monitoring"),
            ("Measure where the latency comes from in our GraphQL queries", "measure query latency"),
            ("Run a load test to see how many users the site handles before it slows down", "load test capacity"),
            ("Profile the mobile app startup time", "profile startup"),
            ("Find out why the app feels sluggish when scrolling", "diagnose sluggish UI"),
            ("Benchmark the new version and compare it with the last release", "version benchmark"),
            ("Which queries take the most time in production? Analyze the slow query log", "slow query log"),
            ("Measure the time to first byte and render times of the homepage", "page timings"),
            ("Profile the Python service under realistic load", "profile under load"),
            ("Instrument the code with timers to find the slowest step", "timing instrumentation"),
            ("Find the hot spots in the C++ code with perf", "perf hot spots"),
        ),
        "optimization": (
            ("Optimize this loop, it is too slow for a million rows", "optimize loop"),
            ("Speed up the search endpoint, it needs to respond in under 100 ms", "speed up endpoint"),
            ("Add an index to make this query faster", "index for speed"),
            ("Vectorize this numpy code to avoid Python loops", "vectorize code"),
            ("Add caching so the expensive report is not recomputed on every request", "add caching"),
            ("Reduce the bundle size and improve the page load time", "reduce bundle size"),
            ("Make the image processing run in parallel on all cores", "parallelize work"),
            ("Improve the throughput of the message consumer", "raise throughput"),
            ("Lower the cold start time of our serverless functions", "reduce cold start"),
            ("This algorithm is quadratic, make it faster", "better complexity"),
            ("Make the test suite run faster, it takes 20 minutes", "faster test suite"),
            ("The dashboard query is slow, rewrite it to be faster", "faster query"),
            ("Reduce the number of network requests to speed up the app", "fewer requests"),
            ("Optimize the hot path of the router for lower latency", "optimize hot path"),
            ("Reduce the response time of the API by half", "halve response time"),
            ("Use a faster data structure for these lookups", "faster data structure"),
            ("Precompute the results to make the page render instantly", "precompute results"),
            ("Tune the database connection pool for higher throughput", "pool tuning"),
            ("Speed up the build, it takes too long on CI", "faster build"),
            ("Compress and lazy load the images to improve performance", "image optimization"),
            ("Avoid the N+1 queries that make the list endpoint slow", "fix N+1 queries"),
        ),
        "memory_analysis": (
            ("Find the memory leak in the Node.js server", "find memory leak"),
            ("The process uses 8 GB of RAM, reduce its memory usage", "reduce memory"),
            ("Analyze the heap dump to see which objects are retained", "heap dump analysis"),
            ("Why is garbage collection pausing the app so often?", "GC pauses"),
            ("The Java service runs out of memory under load", "out of memory"),
            ("Stream the large file instead of loading it all into memory", "streaming to save memory"),
            ("Track down what keeps growing the memory of the browser tab", "browser memory growth"),
            ("Reduce the memory footprint of these numpy arrays", "array footprint"),
            ("Tune the JVM heap and garbage collector settings", "GC tuning"),
            ("The Python worker's RSS keeps increasing over a day, investigate", "memory growth"),
            ("Memory usage keeps climbing in production, find what is leaking", "production memory leak"),
            ("Why does the app allocate so many objects? Reduce allocations", "reduce allocations"),
            ("Measure the memory consumption of the cache and cap it", "cap cache memory"),
            ("Find which objects take the most memory in the Python process", "memory by object"),
            ("The phone app crashes with low memory warnings, reduce memory", "mobile memory"),
            ("Is there a leak in this event listener code? Memory grows on every page change", "listener leak"),
            ("Use a memory profiler to find where the allocations come from", "memory profiler"),
            ("Reduce peak memory when processing the large dataset", "peak memory"),
            ("Why does the container get OOM killed?", "OOM kill"),
        ),
    },
    "MlDeveloper": {
        "model_training": (
            ("Train a text classifier on our support tickets", "train classifier"),
            ("Fine tune a BERT model for sentiment analysis", "fine-tune BERT"),
            ("Write a PyTorch training loop with early stopping", "training loop"),
            ("Tune the hyperparameters of the gradient boosting model", "hyperparameter tuning"),
            ("Train a recommendation model from the purchase history", "train recommender"),
            ("The training loss is not going down, what should I change?", "fix training"),
            ("Fine tune a small language model with LoRA adapters", "LoRA fine-tuning"),
            ("Set up distributed training on multiple GPUs", "distributed training"),
            ("Build a neural network for image classification with transfer learning", "transfer learning"),
            ("Choose a learning rate schedule and optimizer for the transformer", "optimizer choice"),
            ("Train a model to forecast next month's sales", "train forecaster"),
            ("Retrain the spam classifier on the new labelled emails", "retrain classifier"),
            ("Train an embedding model for semantic search with contrastive loss", "train embedding model"),
            ("Use a pretrained model and fine tune it on our small dataset", "fine-tune pretrained"),
            ("Train a named entity recognition model for invoices", "train NER model"),
            ("Build and train a CNN for classifying medical images", "train CNN"),
            ("Train a time series model to detect anomalies in server metrics", "train anomaly model"),
            ("My model overfits quickly, add regularization and retrain", "regularize training"),
            ("Set up experiment tracking for our training runs", "experiment tracking"),
            ("Train a small model that can run on a phone, using distillation", "distillation"),
            ("Write the training script for a logistic regression baseline", "baseline model"),
        ),
        "data_preparation": (
            ("Clean and preprocess the dataset before training", "clean dataset"),
            ("Create train, validation and test splits without leakage", "dataset splits"),
            ("Handle the class imbalance in our fraud dataset", "class imbalance"),
            ("Do feature engineering for the churn prediction model", "feature engineering"),
            ("Label the images and build a data loading pipeline", "data pipeline"),
            ("Tokenize the text corpus and build the vocabulary", "tokenization"),
            ("Fill missing values and normalize the features", "imputation and scaling"),
            ("Augment the training images to reduce overfitting", "data augmentation"),
            ("Generate embeddings for all the documents to use as features", "compute embeddings"),
            ("Deduplicate and filter the scraped training data", "filter training data"),
            ("Build the feature pipeline that turns raw events into model inputs", "feature pipeline"),
            ("Annotate and clean the labels of the training set", "clean labels"),
            ("Convert the dataset to the format the training script expects", "dataset conversion"),
            ("Collect and label a dataset for intent classification", "build labelled dataset"),
            ("Remove outliers and noisy rows from the training data", "remove outliers"),
            ("Create features from timestamps like hour of day and weekday", "time features"),
            ("Resize and normalize the images for the model", "image preprocessing"),
            ("Join the user and event tables into one training dataset", "assemble dataset"),
            ("Check the dataset for label errors and duplicates before training", "dataset quality check"),
            ("Prepare text data: lowercase, remove stop words and lemmatize", "text preprocessing"),
        ),
        "model_evaluation": (
            ("Evaluate the model with precision, recall and F1", "classification metrics"),
            ("Plot the ROC curve and confusion matrix for the classifier", "ROC and confusion"),
            ("Is my model overfitting? Compare training and validation curves", "diagnose overfitting"),
            ("Set up cross validation to compare these models fairly", "cross validation"),
            ("Measure the accuracy of the model on the held out test set", "test accuracy"),
            ("Check the model for bias across demographic groups", "fairness evaluation"),
            ("Evaluate the retrieval quality with recall at k and MRR", "retrieval metrics"),
            ("Run an A/B test of the new ranking model against the old one", "model A/B test"),
            ("Explain the model predictions with SHAP values", "model explainability"),
            ("Monitor data drift and model accuracy in production", "drift monitoring"),
            ("Which model performs better? Evaluate both on the benchmark dataset", "compare models"),
            ("Report the error metrics like RMSE and MAE for the regression model", "regression metrics"),
            ("Analyse the misclassified examples to see where the model fails", "error analysis"),
            ("Evaluate the language model with perplexity and human ratings", "LM evaluation"),
            ("How accurate is the model for each class? Show per class metrics", "per-class metrics"),
            ("Validate the model before deployment with a holdout set", "pre-deployment validation"),
            ("Compare the new model to the baseline on precision at 10", "ranking evaluation"),
            ("Build an evaluation harness that scores model outputs automatically", "evaluation harness"),
            ("Check whether the model is robust to typos and noisy input", "robustness evaluation"),
        ),
    },
}

# agent -> ((request, task type), ...); written separately, never used for training.
_HELD_OUT: dict[str, tuple[tuple[str, str], ...]] = {
    "Coder": (
        ("Implement a binary search tree with an in-order iterator", "code_generation"),
        ("Write a function that converts Roman numerals to integers", "code_generation"),
        ("Create a GraphQL resolver that fetches a product by its slug", "code_generation"),
        ("Add a method to export the report as a CSV file", "code_generation"),
        ("Write a bash script that backs up the logs folder every night", "code_generation"),
        ("Break up the giant controller class into smaller services", "refactoring"),
        ("Get rid of the global variables in the game loop", "refactoring"),
        ("Turn these repeated switch statements into a strategy pattern", "refactoring"),
        ("The counter increments twice per click, what's wrong with my event handler?", "debugging"),
        ("KeyError when the config dict is missing the port, fix the code", "debugging"),
        ("My recursive function hits maximum recursion depth, help me fix it", "debugging"),
        ("The form submits empty values even though the inputs are filled in", "debugging"),
    ),
    "Researcher": (
        ("Gather the key publications on graph neural networks from the last three years", "literature_review"),
        ("What have studies found about the cost of technical debt?", "literature_review"),
        ("Summarize the main findings of the Dynamo paper from Amazon", "literature_review"),
        ("Find surveys that compare vector quantization methods", "literature_review"),
        ("Should we pick Terraform or Pulumi for infrastructure as code?", "technology_comparison"),
        ("Weigh SQLite against DuckDB for local analytical queries", "technology_comparison"),
        ("Which static site generators are popular and how do they differ?", "technology_comparison"),
        ("Compare the tradeoffs of server side rendering and a single page app", "technology_comparison"),
        ("What is a Bloom filter and when would I use one?", "explanation"),
        ("Explain backpropagation to someone who knows basic calculus", "explanation"),
        ("How do vector clocks order events in a distributed system?", "explanation"),
        ("Give me an intuitive explanation of what Kubernetes does", "explanation"),
    ),
    "Tester": (
        ("Write unit tests for the currency conversion helper", "unit_testing"),
        ("Add tests that check the tokenizer handles empty strings and unicode", "unit_testing"),
        ("Cover the shipping cost calculator with parametrized test cases", "unit_testing"),
        ("Stub out the clock so the expiry logic can be tested", "unit_testing"),
        ("Run the payment webhook against the sandbox and assert the order is marked paid", "integration_testing"),
        ("Create a browser test that checks a user can upload an avatar", "integration_testing"),
        ("Test the full flow from the CSV import to the dashboard numbers", "integration_testing"),
        ("Our UI tests randomly time out on CI, stabilise them", "integration_testing"),
        ("Draft test scenarios for the multi currency checkout", "test_planning"),
        ("What should a QA checklist for the accessibility release include?", "test_planning"),
        ("Decide what to test manually and what to automate for the new reporting screens", "test_planning"),
        ("Write a test strategy for the recommendation feature", "test_planning"),
    ),
    "Reviewer": (
        ("Please take a look at my merge request for the caching changes", "code_review"),
        ("Review this function that computes shipping rates and tell me what's off", "code_review"),
        ("Go through my PR for the new search filters and comment on anything suspicious", "code_review"),
        ("Is this implementation of the retry logic correct? Review it critically", "code_review"),
        ("Are my variable and function names clear enough in this file?", "readability_review"),
        ("Tell me whether this Kotlin code is idiomatic or written like Java", "readability_review"),
        ("This method is 80 lines long, is it hard to read? Give suggestions", "readability_review"),
        ("Point out inconsistent formatting and naming in my stylesheet", "readability_review"),
        ("Proofread the contributing guide and flag confusing sections", "documentation_review"),
        ("Review the release notes draft for accuracy", "documentation_review"),
        ("Check whether the installation instructions in the docs still work", "documentation_review"),
        ("Give feedback on the architecture decision record I wrote", "documentation_review"),
    ),
    "Architect": (
        ("Design a system that ingests millions of IoT events per minute", "system_design"),
        ("What architecture fits a collaborative document editor like Google Docs?", "system_design"),
        ("Lay out the services, queues and storage for a ride sharing backend", "system_design"),
        ("Propose a high level design for a URL shortener that scales", "system_design"),
        ("Model a schema for recipes, ingredients and user ratings", "data_modeling"),
        ("How should I structure the tables for an accounting ledger?", "data_modeling"),
        ("Design the document structure for storing product catalogs in MongoDB", "data_modeling"),
        ("Define the aggregates and entities for a warehouse inventory domain", "data_modeling"),
        ("Plan how to move our cron jobs to a managed workflow service", "migration_planning"),
        ("Roadmap for breaking the shared library into independently deployed packages", "migration_planning"),
        ("How do we switch from MySQL to PostgreSQL with minimal downtime?", "migration_planning"),
        ("Phase out the old mobile API while customers upgrade their apps", "migration_planning"),
    ),
    "Security": (
        ("Audit this PHP form handler for injection flaws", "vulnerability_audit"),
        ("Could this regex be used for a denial of service attack?", "vulnerability_audit"),
        ("Check whether our cookies are missing the Secure and HttpOnly flags", "vulnerability_audit"),
        ("Look for server side request forgery in the URL preview feature", "vulnerability_audit"),
        ("Threat model the single sign on integration with our partners", "threat_modeling"),
        ("What could go wrong security wise if we expose the database to the internet?", "threat_modeling"),
        ("Map out how an attacker might move laterally through our cloud network", "threat_modeling"),
        ("Assess the risks of storing customer documents in a shared bucket", "threat_modeling"),
        ("Restrict which users can delete projects based on their role", "access_control"),
        ("Set up a vault for database passwords instead of environment variables", "access_control"),
        ("Verify the session token is invalidated when the user logs out", "access_control"),
        ("Add permission checks so tenants cannot see each other's data", "access_control"),
    ),
    "Performance": (
        ("Where is the time going in this slow batch report? Profile it", "profiling"),
        ("Capture a CPU profile of the game while the frame rate drops", "profiling"),
        ("Measure how many requests per second the server handles before latency degrades", "profiling"),
        ("The nightly ETL now takes five hours, figure out which stage is slow", "profiling"),
        ("Make the JSON parsing faster, it dominates the request time", "optimization"),
        ("Batch the database writes so the import finishes quicker", "optimization"),
        ("Cut the rendering time of the long list by virtualizing it", "optimization"),
        ("Replace the O(n^2) duplicate check with something that scales", "optimization"),
        ("Our Go service's heap keeps growing until the container is killed", "memory_analysis"),
        ("Figure out why each worker process takes 2 GB of RAM", "memory_analysis"),
        ("Objects are never released after the websocket disconnects, find the leak", "memory_analysis"),
        ("Shrink the memory needed to hold the embeddings index", "memory_analysis"),
    ),
    "MlDeveloper": (
        ("Train an XGBoost model to predict house prices", "model_training"),
        ("Fine tune a vision transformer on our product photos", "model_training"),
        ("My neural network diverges with NaN loss after a few epochs", "model_training"),
        ("Search for the best dropout and batch size for the LSTM", "model_training"),
        ("Prepare the clickstream logs as training examples for a ranking model", "data_preparation"),
        ("Encode the categorical columns and scale the numeric ones", "data_preparation"),
        ("Balance the dataset by oversampling the rare classes", "data_preparation"),
        ("Split the time series data for training without looking into the future", "data_preparation"),
        ("Compute the mean average precision of the object detector", "model_evaluation"),
        ("Does the new model generalise? Evaluate it on data from another region", "model_evaluation"),
        ("Calibrate the predicted probabilities and check the reliability diagram", "model_evaluation"),
        ("Compare the two classifiers with a significance test on the validation folds", "model_evaluation"),
    ),
}


def starter_patterns() -> list[StarterPattern]:
    """The starter library, grouped by agent (in :data:`STARTER_AGENTS` order) and task type.

    Returns
    -------
    list of StarterPattern
        A fresh list on each call; texts are unique.
    """
    return [
        StarterPattern(text, agent, task_type, description)
        for agent in STARTER_AGENTS
        for task_type, examples in _STARTER[agent].items()
        for text, description in examples
    ]


def held_out_examples() -> list[LabelledRequest]:
    """Labelled requests kept out of the starter library, for measuring routing accuracy only.

    Returns
    -------
    list of LabelledRequest
        A fresh list on each call, grouped by agent in :data:`STARTER_AGENTS` order.
    """
    return [
        LabelledRequest(text, agent, task_type) for agent in STARTER_AGENTS for text, task_type in _HELD_OUT[agent]
    ]


def starter_task_types() -> dict[str, list[str]]:
    """Each starter agent's task types, agents in :data:`STARTER_AGENTS` order.

    Returns
    -------
    dict of str to list of str
        A fresh dict on each call; task types in the library's order.
    """
    return {agent: list(_STARTER[agent]) for agent in STARTER_AGENTS}


def add_starter_library(target: PatternTarget, embedder: TextEmbedder | FolderEncoder) -> int:
    """Embed every starter pattern with ``embedder`` and add it to ``target``; return how many were added.

    Each :class:`StarterPattern` ``p`` becomes
    ``target.add_pattern(vector(p.text), p.agent, p.task_type, p.description)``,
    in :func:`starter_patterns` order, where ``vector`` is ``embedder.embed``
    (lexical) or ``embedder.encode`` (a sentence or static encoder); the texts are
    embedded in one batch first. The target's own rules apply as for any
    ``add_pattern`` call (a router holding ``max_patterns`` evicts its least
    recently used ones).

    Parameters
    ----------
    target : HnswRouter or IntelligentLLM
        Anything with ``dim`` and ``add_pattern(embedding, agent, task_type, description)``.
    embedder : TextEmbedder, SentenceEncoder or StaticEncoder
        Its ``dim`` must equal ``target.dim``.

    Returns
    -------
    int
        ``len(starter_patterns())``.

    Raises
    ------
    TypeError
        If ``embedder`` is not a :class:`TextEmbedder`, :class:`SentenceEncoder` or
        :class:`StaticEncoder`, or ``target`` cannot take patterns.
    ValueError
        If the dimensions differ. Nothing is added then.
    """
    if isinstance(embedder, TextEmbedder):
        embed_batch = embedder.embed_batch
    elif isinstance(embedder, FolderEncoder):
        embed_batch = embedder.encode
    else:
        raise TypeError(
            f"embedder must be a TextEmbedder, SentenceEncoder or StaticEncoder, got {type(embedder).__name__}"
        )
    if not callable(getattr(target, "add_pattern", None)) or not isinstance(getattr(target, "dim", None), int):
        raise TypeError(f"target must have dim and add_pattern (a router or an engine), got {type(target).__name__}")
    if embedder.dim != target.dim:
        raise ValueError(f"embedder makes {embedder.dim}-dim vectors, the target expects {target.dim}")
    patterns = starter_patterns()
    vectors = embed_batch([p.text for p in patterns])
    for pattern, vector in zip(patterns, vectors):
        target.add_pattern(vector, pattern.agent, pattern.task_type, pattern.description)
    return len(patterns)
