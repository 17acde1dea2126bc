import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { MIN_PASSWORD_LENGTH } from '../../config/app-config.js';
import { ROLES, type Role } from '../permissions.js';
import { USER_STATUSES, type User, type UserStatus } from '../user.js';

const MAX_PASSWORD_LENGTH = 256;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

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

const roleMessage = { message: `role must be one of ${ROLES.join(', ')}` };

export class CreateUserDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @PasswordField()
  password!: string;

  @IsIn(ROLES, roleMessage)
  role!: Role;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name?: string;
}

export class UpdateUserDto {
  @IsOptional()
  @PasswordField()
  password?: string;

  @IsOptional()
  @IsIn(ROLES, roleMessage)
  role?: Role;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name?: string;

  @IsOptional()
  @IsIn(USER_STATUSES, { message: `status must be one of ${USER_STATUSES.join(', ')}` })
  status?: UserStatus;
}

/** The user object on the wire: never the password or its hash. */
export interface UserDto {
  readonly uid: number;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly status: UserStatus;
  readonly password_issue_date: string;
}

export const toUserDto = (user: User): UserDto => ({
  uid: user.uid,
  email: user.email,
  name: user.name,
  role: user.role,
  status: user.status,
  password_issue_date: user.passwordIssueDate,
});
