import {
  IsEmail,
  IsIn,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { MIN_PASSWORD_LENGTH } from '../../config/app-config.js';
import { Permission, permissionsOf, ROLES, type Role } from '../permissions.js';
import { emailCharacterProblem, USER_STATUSES, type User, type UserStatus } from '../user.js';

const MAX_PASSWORD_LENGTH = 256;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/**
 * A field that may be left out but, when given, must be valid. `@IsOptional()` would also skip the checks for
 * `null`, which then reached the store (a null role, a "changed" password that was never set).
 */
function OptionalButNotNull(): PropertyDecorator {
  return ValidateIf((_dto: object, value: unknown) => value !== undefined);
}

/** An email that can sign in: see emailCharacterProblem. */
function SignInEmail(): PropertyDecorator {
  return (target, key) => {
    IsEmail({}, { message: 'email must be an email address' })(target, key);
    MaxLength(254)(target, key);
    ValidateBy({
      name: 'signInEmail',
      validator: {
        // Anything but a string is IsEmail's to report.
        validate: (value: unknown) => typeof value !== 'string' || !emailCharacterProblem(value),
        defaultMessage: (args) => `email ${emailCharacterProblem(String(args?.value))}`,
      },
    })(target, key);
  };
}

/** Write-only: the password is hashed at once and never returned or logged. */
function PasswordField(): PropertyDecorator {
  return (target, key) => {
    IsString({ message: 'password must be a string' })(target, key);
    MinLength(MIN_PASSWORD_LENGTH, {
      message: `password must be at least ${MIN_PASSWORD_LENGTH} characters long`,
    })(target, key);
    MaxLength(MAX_PASSWORD_LENGTH, {
      message: `password must be at most ${MAX_PASSWORD_LENGTH} characters long`,
    })(target, key);
    Matches(NO_CONTROL_CHARACTERS, { message: 'password must not contain control characters' })(target, key);
  };
}

function NameField(): PropertyDecorator {
  return (target, key) => {
    IsString({ message: 'name must be a string' })(target, key);
    MaxLength(200)(target, key);
    Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })(target, key);
  };
}

const RoleField = (): PropertyDecorator =>
  IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` });

export class CreateUserDto {
  @SignInEmail()
  email!: string;

  @PasswordField()
  password!: string;

  @RoleField()
  role!: Role;

  @OptionalButNotNull()
  @NameField()
  name?: string;
}

export class UpdateUserDto {
  @OptionalButNotNull()
  @PasswordField()
  password?: string;

  @OptionalButNotNull()
  @RoleField()
  role?: Role;

  @OptionalButNotNull()
  @NameField()
  name?: string;

  @OptionalButNotNull()
  @IsIn(USER_STATUSES, { message: `status must be one of ${USER_STATUSES.join(', ')}` })
  status?: UserStatus;
}

/** The user object on the wire: never the password or its hash. */
@ApiSchema({ name: 'User' })
export class UserDto {
  @ApiProperty()
  readonly uid!: number;
  @ApiProperty({ format: 'email' })
  readonly email!: string;
  @ApiProperty()
  readonly name!: string;
  @ApiProperty({ enum: ROLES })
  readonly role!: Role;
  @ApiProperty({ enum: USER_STATUSES })
  readonly status!: UserStatus;
  @ApiProperty({ format: 'date-time' })
  readonly password_issue_date!: string;
}

export const toUserDto = (user: User): UserDto => ({
  uid: user.uid,
  email: user.email,
  name: user.name,
  role: user.role,
  status: user.status,
  password_issue_date: user.passwordIssueDate,
});

/** The signed-in user, with what its role may do: what a client shows or hides for that user. */
@ApiSchema({ name: 'SignedInUser' })
export class SignedInUserDto extends UserDto {
  @ApiProperty({ enum: Permission, isArray: true, description: "the permissions of the user's role" })
  readonly permissions!: Permission[];
}

export const toSignedInUserDto = (user: User): SignedInUserDto => ({
  ...toUserDto(user),
  permissions: permissionsOf(user.role),
});
